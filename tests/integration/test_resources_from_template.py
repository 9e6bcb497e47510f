"""The local stack's resources are the template's resources (one source of truth)."""

from __future__ import annotations

import json

from infra.local.resources import LocalResources
from infra.local.template import load_template, resources_of_type
from tests.integration.conftest import client


def test_table_matches_template(aws: LocalResources) -> None:
    spec = resources_of_type(load_template(), "AWS::DynamoDB::Table")["Table"]["Properties"]
    ddb = client("dynamodb")
    table = ddb.describe_table(TableName=aws.physical("Table"))["Table"]
    assert table["KeySchema"] == spec["KeySchema"]
    assert sorted(i["IndexName"] for i in table["GlobalSecondaryIndexes"]) == sorted(
        i["IndexName"] for i in spec["GlobalSecondaryIndexes"])
    for index in table["GlobalSecondaryIndexes"]:
        declared = next(i for i in spec["GlobalSecondaryIndexes"] if i["IndexName"] == index["IndexName"])
        assert index["KeySchema"] == declared["KeySchema"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    backups = ddb.describe_continuous_backups(TableName=aws.physical("Table"))
    assert backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"][
        "PointInTimeRecoveryStatus"] == "ENABLED"
    ttl = ddb.describe_time_to_live(TableName=aws.physical("Table"))["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires_at"


def test_bucket_is_versioned_encrypted_private_and_notifies_the_queue(aws: LocalResources) -> None:
    s3 = client("s3")
    bucket = aws.physical("ArchiveBucket")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    cors = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert "POST" in cors[0]["AllowedMethods"]
    notification = s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"][0]
    assert notification["QueueArn"] == aws.attribute("UploadQueue", "Arn")


def test_template_bucket_policy_denies_plain_http() -> None:
    """Declared in the template; moto cannot evaluate conditions, so this is checked here."""
    policy = resources_of_type(load_template(), "AWS::S3::BucketPolicy")["ArchiveBucketPolicy"]["Properties"]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny" and statement["Action"] == "s3:*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_queue_redrives_to_the_dead_letter_queue(aws: LocalResources) -> None:
    sqs = client("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=aws.physical("UploadQueue"), AttributeNames=["All"])[
        "Attributes"]
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == aws.attribute("UploadDeadLetterQueue", "Arn")
    assert int(redrive["maxReceiveCount"]) == 5
    assert json.loads(attributes["Policy"])["Statement"][0]["Principal"] == {"Service": "s3.amazonaws.com"}


def test_user_pool_carries_the_organisation_binding(aws: LocalResources) -> None:
    pool = client("cognito-idp").describe_user_pool(UserPoolId=aws.physical("UserPool"))["UserPool"]
    names = {a["Name"] for a in pool["SchemaAttributes"]}
    assert {"custom:org_id", "custom:role"} <= names
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True


def test_function_environment_comes_from_template_globals(aws: LocalResources) -> None:
    env = aws.environment
    assert env["ZHTJ_TABLE_NAME"] == aws.physical("Table")
    assert env["ZHTJ_ARCHIVE_BUCKET"] == aws.physical("ArchiveBucket")
    assert env["ZHTJ_USER_POOL_CLIENT_ID"] == aws.physical("UserPoolClient")


def test_the_api_may_presign_import_reports_and_they_expire(aws: LocalResources) -> None:
    """GET /api/imports/{job} presigns reports/…; on AWS that needs the ApiFunction's IAM (moto
    checks none), and the reports hold ID numbers, so a lifecycle rule removes them."""
    template = load_template()
    statements = template["Resources"]["ApiFunction"]["Properties"]["Policies"][0]["Statement"]
    readable = [s for s in statements if "s3:GetObject" in s["Action"]]
    assert any("/reports/*" in str(s["Resource"]) for s in readable)
    rules = client("s3").get_bucket_lifecycle_configuration(Bucket=aws.physical("ArchiveBucket"))["Rules"]
    assert {"Prefix": "reports/"} in [r["Filter"] for r in rules]


def test_ses_templates_are_the_templates_in_the_template(aws: LocalResources) -> None:
    """The mailer's templates exist under the names its environment leads to, with the parts
    template.yaml declares (which tests/unit/test_ses_templates.py ties to the package's files)."""
    ses = client("ses")
    declared = resources_of_type(load_template(), "AWS::SES::Template")
    assert declared
    for logical, spec in declared.items():
        name = aws.physical(logical)
        stored = ses.get_template(TemplateName=name)["Template"]
        assert name == aws.environment["ZHTJ_MAIL_TEMPLATE_PREFIX"] + name.split("-", 2)[2]
        for part in ("SubjectPart", "TextPart", "HtmlPart"):
            assert stored[part] == spec["Properties"]["Template"][part], (logical, part)
