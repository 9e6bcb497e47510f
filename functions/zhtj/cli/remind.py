"""``zhtj remind``: send the day's reminder digests (what the scheduled ReminderFunction does
every morning), e.g. against the local stack while ``zhtj local`` runs.

Where it sends: with the functions' environment set (``ZHTJ_TABLE_NAME`` …, as in a deployed
function's shell) it uses that. Otherwise it talks to the local stack's embedded AWS, whose
address ``zhtj local`` prints ("内嵌 AWS  http://127.0.0.1:PORT"): pass it as
``--aws-endpoint`` (or set ``ZHTJ_AWS_ENDPOINT_URL``); the table and bucket names follow from
template.yaml with ``--stage`` (default ``local``), the user pool and the sender are looked up
in the embedded AWS. Mail sent locally appears in the stack's outbox (``/outbox/``).

Running it twice for the same ``--date`` sends nothing the second time.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import date
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "remind", help="发送当天的提醒邮件（未上传档案、逾期、认证不通过、待审批）",
        description="向各组织管理员发送当天的团员电子档案提醒摘要，向审批组织管理员发送待审批摘要。"
        "同一天重复运行不会重复发送。",
    )
    parser.add_argument("--date", type=date.fromisoformat, default=None,
                        help="提醒所属日期 YYYY-MM-DD（默认今天，北京时间）")
    parser.add_argument("--aws-endpoint", default=None,
                        help="本地环境内嵌 AWS 的地址（zhtj local 启动时打印），如 http://127.0.0.1:5000")
    parser.add_argument("--stage", default="local", help="部署阶段名（本地环境为 local）")
    parser.add_argument("--site-origin", default=None,
                        help="邮件中控制台链接的站点地址（本地默认 http://127.0.0.1:8000）")
    parser.set_defaults(run=run)


def _local_environment(endpoint: str, stage: str, site_origin: str | None) -> dict[str, str]:
    """The functions' environment for the local stack, from template.yaml and the embedded AWS."""
    import boto3

    from infra.local.stack import LOCAL_CREDENTIALS
    from infra.local.template import Resolver, load_template

    os.environ.update({k: os.environ.get(k, v) for k, v in LOCAL_CREDENTIALS.items()})
    session = boto3.session.Session()
    cognito = session.client("cognito-idp", endpoint_url=endpoint, region_name="us-east-1")
    pools = cognito.list_user_pools(MaxResults=60)["UserPools"]
    pool = next((p["Id"] for p in pools if p["Name"] == f"zhtj-{stage}-admins"), None)
    if pool is None:
        raise SystemExit(f"在 {endpoint} 找不到用户池 zhtj-{stage}-admins：本地环境（zhtj local）是否在运行？")
    clients = cognito.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"]
    ses = session.client("ses", endpoint_url=endpoint, region_name="us-east-1")
    senders = ses.list_identities(IdentityType="EmailAddress")["Identities"]
    template = load_template()
    resolver = Resolver(template, {"Stage": stage})
    tables = [r for r in template["Resources"].values() if r["Type"] == "AWS::DynamoDB::Table"]
    buckets = [n for n, r in template["Resources"].items() if r["Type"] == "AWS::S3::Bucket"]
    return {
        "ZHTJ_TABLE_NAME": str(resolver.resolve(tables[0]["Properties"]["TableName"])),
        "ZHTJ_ARCHIVE_BUCKET": str(resolver.resolve(template["Resources"][buckets[0]]["Properties"]["BucketName"])),
        "ZHTJ_USER_POOL_ID": pool,
        "ZHTJ_USER_POOL_CLIENT_ID": clients[0]["ClientId"] if clients else "",
        "ZHTJ_SENDER_EMAIL": senders[0] if senders else "no-reply@example.org",
        "ZHTJ_MAIL_TEMPLATE_PREFIX": str(resolver.resolve(
            template["Globals"]["Function"]["Environment"]["Variables"]["ZHTJ_MAIL_TEMPLATE_PREFIX"])),
        "ZHTJ_SITE_ORIGIN": site_origin or "http://127.0.0.1:8000",
        "ZHTJ_ID_HASH_KEY": resolver.parameters.get("IdHashKey", ""),
        "ZHTJ_AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": "us-east-1",
    }


def run(args: argparse.Namespace) -> int:
    from zhtj import bootstrap
    from zhtj.handlers.scheduled import day_of
    from zhtj.handlers.scheduled import run as run_reminders
    from zhtj.settings import Settings

    endpoint = args.aws_endpoint or os.environ.get("ZHTJ_AWS_ENDPOINT_URL")
    if endpoint:
        environ = _local_environment(endpoint, args.stage, args.site_origin)
    elif os.environ.get("ZHTJ_TABLE_NAME"):
        environ = dict(os.environ)
        if args.site_origin:
            environ["ZHTJ_SITE_ORIGIN"] = args.site_origin
    else:
        print("请用 --aws-endpoint 指定本地环境内嵌 AWS 的地址（zhtj local 启动时打印），"
              "或在已设置 ZHTJ_* 环境变量的环境中运行。")
        return 2
    container = bootstrap.build(Settings.from_environ(environ))
    day = args.date or day_of({})
    result = run_reminders(container, day)
    print(json.dumps(result.as_dict(), ensure_ascii=False))
    for error in result.errors:
        print(f"发送失败：{error}")
    return 1 if result.failed else 0
