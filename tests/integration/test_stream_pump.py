"""The DynamoDB stream pump behaves like Lambda's event-source mapping (template.yaml's
FiguresFunction event): moto's real stream, in order, batches of BatchSize, the filter, partial
failures resumed from the reported record, bisection of a raising batch, and the on-failure
queue after MaximumRetryAttempts."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

import boto3
import pytest

from infra.local.resources import LocalResources
from infra.local.stream_pump import StreamPump, matches, stream_triggers, streams_client
from infra.local.template import load_template
from tests.integration.conftest import client


def _put(aws: LocalResources, pk: str, sk: str = "MEMBER", **values: str) -> None:
    item = {"pk": {"S": pk}, "sk": {"S": sk}, **{k: {"S": v} for k, v in values.items()}}
    client("dynamodb").put_item(TableName=aws.physical("Table"), Item=item)


def _pump(aws: LocalResources, handler: Any, clock: Any = time.monotonic, **changes: Any) -> StreamPump:
    trigger = replace(stream_triggers(load_template())[0], **changes)
    arn = client("dynamodb").describe_table(TableName=aws.physical("Table"))["Table"]["LatestStreamArn"]
    return StreamPump(streams_client(boto3.session.Session(), endpoint_url=None), trigger, arn, sqs=client("sqs"),
                      on_failure_url=aws.physical("FiguresDeadLetterQueue"), handler=handler, clock=clock)


def _pks(event: dict[str, Any]) -> list[str]:
    return [r["dynamodb"]["Keys"]["pk"]["S"] for r in event["Records"]]


def test_the_template_declares_what_the_pump_does() -> None:
    (trigger,) = stream_triggers(load_template())
    assert trigger.function == "FiguresFunction" and trigger.table_resource == "Table"
    assert trigger.starting_position == "TRIM_HORIZON" and trigger.report_batch_item_failures
    assert trigger.bisect_on_error and trigger.maximum_retry_attempts == 10
    assert trigger.batching_window_s > 0
    assert trigger.on_failure_resource == "FiguresDeadLetterQueue"
    member = {"dynamodb": {"Keys": {"pk": {"S": "MEMBER#m1"}, "sk": {"S": "MEMBER"}}}}
    version = {"dynamodb": {"Keys": {"pk": {"S": "MEMBER#m1"}, "sk": {"S": "ARCHIVE#0001"}}}}
    counter = {"dynamodb": {"Keys": {"pk": {"S": "FIGURES#2023#初中"}, "sk": {"S": "ORG#32"}}}}
    assert [any(matches(p, r) for p in trigger.filters) for r in (member, version, counter)] == [True, False, False]


def test_records_arrive_in_order_in_batches_and_filtered(aws: LocalResources) -> None:
    for n in range(7):
        _put(aws, f"MEMBER#m{n}")
        _put(aws, f"ORG#o{n}", "ORG")  # not a member: filtered out
    batches: list[list[str]] = []
    pump = _pump(aws, lambda event, context: batches.append(_pks(event)), batch_size=3)
    pump.drain()
    delivered = [pk for batch in batches for pk in batch]
    assert delivered == [f"MEMBER#m{n}" for n in range(7)]
    assert all(len(b) <= 3 for b in batches)
    assert pump.stats.filtered == 7 and pump.stats.delivered == 7
    pump.drain()  # the checkpoint holds: nothing is delivered twice
    assert [pk for batch in batches for pk in batch] == delivered


def test_a_reported_failure_resumes_from_that_record(aws: LocalResources) -> None:
    for n in range(5):
        _put(aws, f"MEMBER#m{n}")
    calls: list[list[str]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        calls.append(_pks(event))
        if len(calls) == 1:  # the third record fails once
            return {"batchItemFailures": [{"itemIdentifier": event["Records"][2]["dynamodb"]["SequenceNumber"]}]}
        return {"batchItemFailures": []}

    pump = _pump(aws, handler)
    pump.drain()
    assert calls == [[f"MEMBER#m{n}" for n in range(5)], [f"MEMBER#m{n}" for n in range(2, 5)]]
    assert pump.stats.retries == 1 and pump.stats.sent_to_dlq == 0


def test_a_raising_batch_is_bisected_then_sent_to_the_failure_queue(aws: LocalResources) -> None:
    for n in range(4):
        _put(aws, f"MEMBER#m{n}")
    calls: list[list[str]] = []

    def handler(event: dict[str, Any], context: Any) -> None:
        calls.append(_pks(event))
        if "MEMBER#m1" in _pks(event):
            raise RuntimeError("poison record")

    pump = _pump(aws, handler, maximum_retry_attempts=2)
    pump.drain()
    assert calls[0] == ["MEMBER#m0", "MEMBER#m1", "MEMBER#m2", "MEMBER#m3"]
    assert calls[1] == ["MEMBER#m0", "MEMBER#m1"]  # bisected
    assert ["MEMBER#m2", "MEMBER#m3"] in calls  # the good half goes through
    assert ["MEMBER#m0"] in calls and calls.count(["MEMBER#m1"]) >= 1
    assert pump.stats.sent_to_dlq == 1
    (message,) = client("sqs").receive_message(QueueUrl=aws.physical("FiguresDeadLetterQueue"))["Messages"]
    info = json.loads(message["Body"])["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1 and info["startSequenceNumber"] == info["endSequenceNumber"]


@pytest.mark.parametrize("position", ["LATEST"])
def test_latest_skips_what_came_before(aws: LocalResources, position: str) -> None:
    _put(aws, "MEMBER#old")
    seen: list[str] = []
    pump = _pump(aws, lambda event, context: seen.extend(_pks(event)), starting_position=position)
    _put(aws, "MEMBER#new")
    pump.drain()
    assert seen == ["MEMBER#new"]


def test_a_partial_batch_waits_for_the_batching_window_and_a_full_one_does_not(aws: LocalResources) -> None:
    now = [1000.0]
    batches: list[list[str]] = []
    pump = _pump(aws, lambda event, context: batches.append(_pks(event)), clock=lambda: now[0],
                 batch_size=3, batching_window_s=5)
    _put(aws, "MEMBER#m0")
    assert pump.poll_once() == 0 and batches == []  # the window opens
    _put(aws, "MEMBER#m1")
    now[0] += 4.9
    assert pump.poll_once() == 0 and batches == []
    now[0] += 0.2
    assert pump.poll_once() == 2 and batches == [["MEMBER#m0", "MEMBER#m1"]]
    for n in range(2, 5):
        _put(aws, f"MEMBER#m{n}")
    assert pump.poll_once() == 3  # a full batch goes at once
    assert batches[-1] == ["MEMBER#m2", "MEMBER#m3", "MEMBER#m4"]
