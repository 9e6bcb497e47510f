"""template.yaml's deployment parts: CloudFront routes as the local front does, the site bucket is
read by the distribution only, every function has its alarms and log retention, and the local
stack knows every resource type (creates it, or says why not). Also: functions/requirements.txt
(what sam build installs) is the lock's cut."""

from __future__ import annotations

from typing import Any

import pytest

from infra.local import headers as h
from infra.local.resources import NOT_EMULATED, create_resources
from infra.local.template import load_template, resources_of_type

TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
FUNCTIONS = sorted(resources_of_type(TEMPLATE, "AWS::Serverless::Function"))
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def distribution() -> dict[str, Any]:
    config: dict[str, Any] = RESOURCES["Distribution"]["Properties"]["DistributionConfig"]
    return config


def test_the_cache_behaviours_are_the_front_rules_in_their_order() -> None:
    """CloudFront takes the first matching behaviour, the front the first matching rule: the
    behaviours must be the rules' patterns, in the rules' order, each with that rule's policy."""
    expected = [(pattern, entry["logical_id"], entry["rule"])
                for entry in h.cloudfront_policies(h.HeaderPolicy(tls=True)) for pattern in entry["path_patterns"]]
    behaviours = distribution()["CacheBehaviors"]
    assert [(b["PathPattern"], b["ResponseHeadersPolicyId"]["Ref"]) for b in behaviours] == [
        (pattern, logical) for pattern, logical, _ in expected]
    default = distribution()["DefaultCacheBehavior"]
    assert default["ResponseHeadersPolicyId"] == {"Ref": "SiteResponseHeadersPolicy"}
    assert default["TargetOriginId"] == "site"
    for behaviour, (pattern, _, rule) in zip(behaviours, expected, strict=True):
        api = rule.startswith("api")
        assert behaviour["TargetOriginId"] == ("api" if api else "site"), pattern
        if api:  # never cached; every viewer header (Authorization) but Host reaches API Gateway
            assert behaviour["CachePolicyId"] == CACHING_DISABLED, pattern
            assert behaviour["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST, pattern
            assert "POST" in behaviour["AllowedMethods"] and behaviour["ViewerProtocolPolicy"] == "https-only"


def test_the_api_origin_is_the_http_api_stage() -> None:
    api = next(o for o in distribution()["Origins"] if o["Id"] == "api")
    assert api["DomainName"] == {"Fn::Sub": "${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
    assert api["OriginPath"] == {"Fn::Sub": "/${Stage}"}
    assert RESOURCES["HttpApi"]["Properties"]["StageName"] == {"Ref": "Stage"}
    site = next(o for o in distribution()["Origins"] if o["Id"] == "site")
    assert site["OriginAccessControlId"] == {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]}


def test_only_the_distribution_reads_the_site_bucket() -> None:
    statements = RESOURCES["SiteBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert len(allows) == 1
    (allow,) = allows
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert set(allow["Action"]) == {"s3:GetObject", "s3:ListBucket"}
    source = allow["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    assert source.endswith(":distribution/${Distribution}")
    block = RESOURCES["SiteBucket"]["Properties"]["PublicAccessBlockConfiguration"]
    assert all(block.values())


def test_a_custom_domain_comes_with_its_certificate() -> None:
    config = distribution()
    assert config["Aliases"]["Fn::If"][0] == "HasCustomDomain"
    with_domain, without = config["ViewerCertificate"]["Fn::If"][1:]
    assert with_domain["AcmCertificateArn"] == {"Ref": "CertificateArn"}
    assert with_domain["SslSupportMethod"] == "sni-only"
    assert without == {"CloudFrontDefaultCertificate": True}
    assert "CustomDomainNeedsCertificate" in TEMPLATE["Rules"]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_has_errors_and_throttles_alarms(function: str) -> None:
    alarms = resources_of_type(TEMPLATE, "AWS::CloudWatch::Alarm").values()
    watched = {(a["Properties"]["MetricName"], a["Properties"]["Dimensions"][0]["Value"]["Ref"])
               for a in alarms if a["Properties"]["Namespace"] == "AWS/Lambda"}
    assert {("Errors", function), ("Throttles", function)} <= watched


def test_every_alarm_notifies_the_topic_and_both_dead_letter_queues_are_watched() -> None:
    alarms = resources_of_type(TEMPLATE, "AWS::CloudWatch::Alarm")
    for name, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
    queues = {a["Properties"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0] for a in alarms.values()
              if a["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"}
    assert queues == {"UploadDeadLetterQueue", "FiguresDeadLetterQueue"}
    mail = {a["Properties"]["MetricName"] for a in alarms.values() if a["Properties"]["Namespace"] == "AWS/SES"}
    assert mail == {"Reputation.BounceRate", "Reputation.ComplaintRate"}


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_logs_into_a_group_with_retention(function: str) -> None:
    group = RESOURCES[f"{function}LogGroup"]["Properties"]
    assert group["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{{function}}}"}
    assert group["RetentionInDays"] > 0


def test_the_runtime_is_the_python_the_project_is_tested_with() -> None:
    import sys

    runtime = TEMPLATE["Globals"]["Function"]["Runtime"]
    assert runtime == f"python{sys.version_info.major}.{sys.version_info.minor}" == "python3.11"


def test_the_upload_workers_concurrency_caps_the_pollers() -> None:
    props = RESOURCES["UploadWorkerFunction"]["Properties"]
    assert props["Events"]["Uploads"]["Properties"]["ScalingConfig"] == {
        "MaximumConcurrency": {"Ref": "UploadWorkerConcurrency"}}
    visibility = RESOURCES["UploadQueue"]["Properties"]["VisibilityTimeout"]
    assert visibility >= 6 * props["Timeout"]  # Lambda's advice for SQS event sources


def test_the_local_stack_creates_or_names_every_resource_type() -> None:
    from infra.local.resources import _ORDER

    declared = {spec["Type"] for spec in RESOURCES.values()}
    assert declared <= set(_ORDER) | set(NOT_EMULATED)
    assert not set(_ORDER) & set(NOT_EMULATED)


def test_an_unknown_resource_type_stops_the_local_stack() -> None:
    template = {"Resources": {"Thing": {"Type": "AWS::Kinesis::Stream", "Properties": {}}}}
    with pytest.raises(ValueError, match="AWS::Kinesis::Stream"):
        create_resources(object(), endpoint_url=None, parameters={}, template=template)


def test_functions_requirements_are_the_locks_runtime_cut() -> None:
    from infra.sam import runtime_requirements as rr

    assert rr.OUTPUT.read_text(encoding="utf-8") == rr.generate(), "run `make runtime-requirements`"
    text = rr.OUTPUT.read_text(encoding="utf-8")
    for runtime in ("boto3==", "aws-lambda-powertools==", "pydantic==", "pypdf==", "python-calamine=="):
        assert runtime in text
    for dev_only in ("moto==", "pytest==", "mkdocs", "cfn-lint=="):
        assert dev_only not in text
    assert "--hash=sha256:" in text


def test_the_lock_cut_keeps_pins_and_hashes_and_judges_markers_for_lambda() -> None:
    from packaging.requirements import Requirement

    from infra.sam import runtime_requirements as rr

    lock = "a==1 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n    # via b\nb==2 \\\n    --hash=sha256:cc\n"
    assert rr.lock_entries(lock) == {"a": "a==1 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n",
                                     "b": "b==2 \\\n    --hash=sha256:cc\n"}
    assert not Requirement("x; sys_platform == 'win32'").marker.evaluate(dict(rr.LAMBDA_ENVIRONMENT))  # type: ignore[union-attr]
    with pytest.raises(ValueError, match=r"not in requirements\.lock"):
        rr.render(lock, ["c"])


def test_what_the_archive_bucket_keeps_and_what_expires() -> None:
    """Every kind of object the code writes into the archive bucket, against its lifecycle:
    uploads, failure reports (ID numbers of failed rows) and refused files expire; the
    archives — every version — never do."""
    from zhtj.services import archives, import_jobs

    rules = RESOURCES["ArchiveBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]

    def expiry(key: str) -> int | None:
        days = [rule["ExpirationInDays"] for rule in rules if key.startswith(rule["Prefix"])]
        assert len(days) <= 1, key
        return days[0] if days else None

    assert expiry(archives.upload_key("m1", "u1")) == 30
    assert expiry(import_jobs.upload_key("j1", "xlsx")) == 30
    assert expiry(import_jobs.report_key("j1")) == 30
    assert expiry(archives.refused_object_key("m1", "u1")) == 90
    assert expiry(archives.archive_object_key("m1", 3)) is None
