"""Create the template's data resources in the embedded AWS (moto), from template.yaml's own
resource properties: tables with their GSIs, TTL and PITR; buckets with versioning,
encryption, public-access block, CORS, lifecycle, policy and the S3 → SQS notification;
queues with their redrive policy and queue policy; the Cognito user pool and client; the SES
identity and the e-mail templates (SesMailer sends with them). Every other resource type of
the template is listed in :data:`NOT_EMULATED` with what stands in for it locally (the
functions and the API: the local front and the pumps call the same handlers directly); a type
in neither list stops the local stack, so a new kind of resource is a decision, not an
accident."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from infra.local.template import Resolver, load_template, resources_of_type

# Creation order: a resource's dependencies come first (DLQ before queue, queue before the
# bucket that notifies it, user pool before its client).
_ORDER = (
    "AWS::SQS::Queue",
    "AWS::SQS::QueuePolicy",
    "AWS::DynamoDB::Table",
    "AWS::S3::Bucket",
    "AWS::S3::BucketPolicy",
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolClient",
    "AWS::SES::EmailIdentity",
    "AWS::SES::Template",
)

#: Template resource types the local stack does not create, and why. Their logical ids still
#: resolve (to ``not-emulated:<id>``), so a created resource may mention one — the site bucket's
#: policy names the distribution in a condition, which moto ignores anyway (``_bucket_policy``).
NOT_EMULATED: Mapping[str, str] = {
    "AWS::Serverless::Function": "the front and the pumps call the handlers in process",
    "AWS::Serverless::HttpApi": "infra/local/front.py routes /api/* from the functions' HttpApi events",
    "AWS::Logs::LogGroup": "the handlers log to the terminal",
    "AWS::CloudFront::Distribution": "the front serves the site and /api/ on one origin, as the distribution does",
    "AWS::CloudFront::OriginAccessControl": "the front reads the built site from disk",
    "AWS::CloudFront::ResponseHeadersPolicy": "the front sends the same headers (infra/local/headers.py)",
    "AWS::CloudWatch::Alarm": "no metrics locally",
    "AWS::CloudWatch::Dashboard": "no metrics locally",
    "AWS::SNS::Topic": "no alarms locally",
    "AWS::SNS::Subscription": "no alarms locally",
    "AWS::SES::ConfigurationSet": "mail is captured in the outbox; nothing bounces",
    "AWS::SES::ConfigurationSetEventDestination": "mail is captured in the outbox; nothing bounces",
}

NOT_EMULATED_PREFIX = "not-emulated:"


@dataclass
class LocalResources:
    resolver: Resolver
    environment: dict[str, str] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)

    def physical(self, logical: str) -> str:
        return self.resolver.physical[logical]

    def attribute(self, logical: str, name: str) -> str:
        return self.resolver.attributes[(logical, name)]


def create_resources(session: Any, *, endpoint_url: str | None, parameters: Mapping[str, str],
                     region: str = "us-east-1", template: Mapping[str, Any] | None = None) -> LocalResources:
    template = template or load_template()
    resolver = Resolver(template, dict(parameters), region=region)
    done = LocalResources(resolver)
    unknown = sorted({spec.get("Type", "?") for spec in template.get("Resources", {}).values()}
                     - set(_ORDER) - set(NOT_EMULATED))
    if unknown:
        raise ValueError(f"template.yaml declares {', '.join(unknown)}: create it in infra/local/resources.py "
                         "or list it in NOT_EMULATED with what stands in for it locally")
    for resource_type in NOT_EMULATED:
        for name in resources_of_type(template, resource_type):
            resolver.physical[name] = NOT_EMULATED_PREFIX + name

    def client(service: str) -> Any:
        return session.client(service, region_name=region, endpoint_url=endpoint_url)

    creators = {
        "AWS::SQS::Queue": _queue,
        "AWS::SQS::QueuePolicy": _queue_policy,
        "AWS::DynamoDB::Table": _table,
        "AWS::S3::Bucket": _bucket,
        "AWS::S3::BucketPolicy": _bucket_policy,
        "AWS::Cognito::UserPool": _user_pool,
        "AWS::Cognito::UserPoolClient": _user_pool_client,
        "AWS::SES::EmailIdentity": _email_identity,
        "AWS::SES::Template": _email_template,
    }
    for resource_type in _ORDER:
        pending = resources_of_type(template, resource_type)
        # Within a type, create what others reference first (e.g. the DLQ of a queue).
        while pending:
            progressed = False
            for name in list(pending):
                try:
                    props = resolver.resolve(pending[name].get("Properties", {}))
                except KeyError:
                    continue
                creators[resource_type](client, resolver, name, props)
                done.created.append(name)
                del pending[name]
                progressed = True
            if not progressed:
                raise RuntimeError(f"unresolvable references among {sorted(pending)}")
    done.environment = function_environment(template, resolver)
    return done


def function_environment(template: Mapping[str, Any], resolver: Resolver) -> dict[str, str]:
    variables = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    return {k: str(v) for k, v in resolver.resolve(variables).items()}


def _queue(client: Any, resolver: Resolver, name: str, props: dict[str, Any]) -> None:
    sqs = client("sqs")
    attributes: dict[str, str] = {}
    for key in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "ReceiveMessageWaitTimeSeconds"):
        if key in props:
            attributes[key] = str(props[key])
    if "RedrivePolicy" in props:
        attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
    if props.get("SqsManagedSseEnabled"):
        attributes["SqsManagedSseEnabled"] = "true"
    url = sqs.create_queue(QueueName=props["QueueName"], Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    resolver.physical[name] = url
    resolver.attributes[(name, "Arn")] = arn
    resolver.attributes[(name, "QueueName")] = props["QueueName"]
    resolver.attributes[(name, "QueueUrl")] = url


def _queue_policy(client: Any, resolver: Resolver, name: str, props: dict[str, Any]) -> None:
    sqs = client("sqs")
    for url in props["Queues"]:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(props["PolicyDocument"])})
    resolver.physical[name] = name


def _table(client: Any, resolver: Resolver, name: str, props: dict[str, Any]) -> None:
    ddb = client("dynamodb")
    kwargs: dict[str, Any] = {
        "TableName": props["TableName"],
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": props.get("BillingMode", "PROVISIONED"),
    }
    if props.get("GlobalSecondaryIndexes"):
        kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if props.get("SSESpecification"):
        kwargs["SSESpecification"] = {"Enabled": bool(props["SSESpecification"].get("SSEEnabled"))}
    if props.get("StreamSpecification"):
        kwargs["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        from infra.local.moto_fidelity import make_dynamodb_writes_atomic  # and its transactions cheap

        make_dynamodb_writes_atomic()
    description = ddb.create_table(**kwargs)["TableDescription"]
    if props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled"):
        ddb.update_continuous_backups(
            TableName=props["TableName"],
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        ddb.update_time_to_live(
            TableName=props["TableName"],
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
        )
    resolver.physical[name] = props["TableName"]
    resolver.attributes[(name, "Arn")] = description["TableArn"]


def _bucket(client: Any, resolver: Resolver, name: str, props: dict[str, Any]) -> None:
    s3 = client("s3")
    bucket = props["BucketName"]
    s3.create_bucket(Bucket=bucket)
    if props.get("VersioningConfiguration"):
        s3.put_bucket_versioning(
            Bucket=bucket, VersioningConfiguration={"Status": props["VersioningConfiguration"]["Status"]}
        )
    if props.get("BucketEncryption"):
        s3.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]}
                    for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
                ]
            },
        )
    if props.get("PublicAccessBlockConfiguration"):
        s3.put_public_access_block(
            Bucket=bucket, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
        )
    if props.get("OwnershipControls"):
        s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls=props["OwnershipControls"])
    if props.get("CorsConfiguration"):
        rules = []
        for rule in props["CorsConfiguration"]["CorsRules"]:
            converted = {k: v for k, v in rule.items() if k != "MaxAge"}
            if "MaxAge" in rule:
                converted["MaxAgeSeconds"] = rule["MaxAge"]
            rules.append(converted)
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    if props.get("LifecycleConfiguration"):
        s3.put_bucket_lifecycle_configuration(
            Bucket=bucket,
            LifecycleConfiguration={"Rules": [_lifecycle_rule(r) for r in props["LifecycleConfiguration"]["Rules"]]},
        )
    notification = props.get("NotificationConfiguration", {})
    if notification.get("QueueConfigurations"):
        s3.put_bucket_notification_configuration(
            Bucket=bucket,
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "QueueArn": q["Queue"],
                        "Events": [q["Event"]],
                        **(
                            {"Filter": {"Key": {"FilterRules": q["Filter"]["S3Key"]["Rules"]}}}
                            if q.get("Filter")
                            else {}
                        ),
                    }
                    for q in notification["QueueConfigurations"]
                ]
            },
        )
    resolver.physical[name] = bucket
    resolver.attributes[(name, "Arn")] = f"arn:aws:s3:::{bucket}"


def _lifecycle_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    converted: dict[str, Any] = {"ID": rule.get("Id", "rule"), "Status": rule["Status"],
                                 "Filter": {"Prefix": rule.get("Prefix", "")}}
    if "ExpirationInDays" in rule:
        converted["Expiration"] = {"Days": rule["ExpirationInDays"]}
    if "NoncurrentVersionExpiration" in rule:
        converted["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": rule["NoncurrentVersionExpiration"]["NoncurrentDays"]
        }
    return converted


def _bucket_policy(client: Any, resolver: Resolver, name: str, props: dict[str, Any]) -> None:
    """moto enforces bucket-policy statements but ignores their Condition blocks, so the
    template's "deny unless aws:SecureTransport" would deny every local request (the local
    stack speaks plain HTTP on loopback). Conditional statements are therefore left out
    locally; tests check the template itself for them."""
    document = props["PolicyDocument"]
    enforceable = [statement for statement in document["Statement"] if "Condition" not in statement]
    if enforceable:
        client("s3").put_bucket_policy(Bucket=props["Bucket"],
                                       Policy=json.dumps({**document, "Statement": enforceable}))
    resolver.physical[name] = name


_POOL_KEYS = ("Policies", "AdminCreateUserConfig", "UsernameConfiguration", "MfaConfiguration", "Schema",
              "AutoVerifiedAttributes", "UsernameAttributes", "AccountRecoverySetting")


def _user_pool(client: Any, resolver: Resolver, name: str, props: dict[str, Any]) -> None:
    kwargs = {k: props[k] for k in _POOL_KEYS if k in props}
    pool = client("cognito-idp").create_user_pool(PoolName=props["UserPoolName"], **kwargs)["UserPool"]
    resolver.physical[name] = pool["Id"]
    resolver.attributes[(name, "Arn")] = pool["Arn"]
    resolver.attributes[(name, "ProviderName")] = f"cognito-idp.{resolver.region}.amazonaws.com/{pool['Id']}"


_CLIENT_KEYS = ("GenerateSecret", "ExplicitAuthFlows", "PreventUserExistenceErrors", "IdTokenValidity",
                "AccessTokenValidity", "RefreshTokenValidity", "TokenValidityUnits", "ReadAttributes",
                "WriteAttributes")


def _user_pool_client(client: Any, resolver: Resolver, name: str, props: dict[str, Any]) -> None:
    kwargs = {k: props[k] for k in _CLIENT_KEYS if k in props}
    created = client("cognito-idp").create_user_pool_client(
        UserPoolId=props["UserPoolId"], ClientName=props["ClientName"], **kwargs
    )["UserPoolClient"]
    resolver.physical[name] = created["ClientId"]


def _email_identity(client: Any, resolver: Resolver, name: str, props: dict[str, Any]) -> None:
    client("ses").verify_email_identity(EmailAddress=props["EmailIdentity"])
    resolver.physical[name] = props["EmailIdentity"]


def _email_template(client: Any, resolver: Resolver, name: str, props: dict[str, Any]) -> None:
    template = props["Template"]
    client("ses").create_template(Template={k: template[k] for k in ("TemplateName", "SubjectPart", "TextPart",
                                                                     "HtmlPart") if k in template})
    resolver.physical[name] = template["TemplateName"]
