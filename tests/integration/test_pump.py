"""The SQS pump behaves like Lambda's event-source mapping: batches, partial-batch failures,
retries, then the dead-letter queue after the template's maxReceiveCount."""

from __future__ import annotations

import json
from typing import Any

from infra.local.pump import SqsPump
from infra.local.resources import LocalResources
from infra.local.template import load_template, queue_triggers
from tests.integration.conftest import client


def _pump(aws: LocalResources, handler: Any) -> SqsPump:
    trigger = queue_triggers(load_template())[0]
    return SqsPump(client("sqs"), trigger, queue_url=aws.physical("UploadQueue"),
                   queue_arn=aws.attribute("UploadQueue", "Arn"), retry_delay_s=0, wait_s=0, handler=handler)


def _send(aws: LocalResources, *bodies: str) -> None:
    sqs = client("sqs")
    for body in bodies:
        sqs.send_message(QueueUrl=aws.physical("UploadQueue"), MessageBody=body)


def _count(url: str) -> int:
    attributes = client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
    return sum(int(v) for v in attributes["Attributes"].values())


def test_only_reported_failures_are_retried(aws: LocalResources) -> None:
    seen: list[str] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.extend(r["body"] for r in event["Records"])
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"]
                                      if r["body"] == "bad"]}

    _send(aws, "good-1", "bad", "good-2")
    pump = _pump(aws, handler)
    while pump.poll_once():
        pass
    assert seen.count("good-1") == 1 and seen.count("good-2") == 1
    assert seen.count("bad") == 5  # maxReceiveCount in template.yaml
    assert _count(aws.physical("UploadQueue")) == 0
    dlq = client("sqs").receive_message(QueueUrl=aws.physical("UploadDeadLetterQueue"))["Messages"]
    assert [m["Body"] for m in dlq] == ["bad"]


def test_a_raising_function_retries_the_whole_batch(aws: LocalResources) -> None:
    calls = {"n": 0}

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("transient")
        return {"batchItemFailures": []}

    _send(aws, json.dumps({"Event": "s3:TestEvent"}))  # beside the one S3 sent itself
    pump = _pump(aws, handler)
    while pump.poll_once():
        pass
    assert calls["n"] == 2
    assert pump.stats.failed == pump.stats.succeeded == 2
    assert _count(aws.physical("UploadDeadLetterQueue")) == 0


def test_s3_upload_reaches_the_worker_through_the_queue(aws: LocalResources, container) -> None:
    """Bucket notification → queue → pump → the real worker handler (TestEvent first, URL-encoded keys)."""
    from zhtj.handlers import workers

    received: list[str] = []
    workers.PROCESSORS["uploads/test/"] = "tests.integration.test_pump:record_upload"
    RECORDED.clear()
    try:
        client("s3").put_object(Bucket=aws.physical("ArchiveBucket"), Key="uploads/test/a b.pdf", Body=b"%PDF-1.4")
        pump = _pump(aws, workers.upload_handler)
        while pump.poll_once():
            pass
        received = list(RECORDED)
    finally:
        del workers.PROCESSORS["uploads/test/"]
    assert received == ["uploads/test/a b.pdf"]


RECORDED: list[str] = []


def record_upload(container: Any, obj: Any) -> None:
    RECORDED.append(obj.key)
