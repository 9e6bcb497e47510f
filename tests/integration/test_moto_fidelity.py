"""The embedded DynamoDB's transactions (infra/local/moto_fidelity.py): all or nothing — items
and stream records — without copying the table."""

from __future__ import annotations

import copy
import sys
import threading
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from infra.local.resources import LocalResources
from infra.local.stream_pump import streams_client


def _key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "X"}}


def _stream_records(aws: LocalResources) -> int:
    streams = streams_client(boto3.session.Session(), endpoint_url=None)
    arn = boto3.client("dynamodb", region_name="us-east-1").describe_table(
        TableName=aws.physical("Table"))["Table"]["LatestStreamArn"]
    total = 0
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while True:
            result = streams.get_records(ShardIterator=iterator, Limit=1000)
            total += len(result["Records"])
            if not result["Records"]:
                break
            iterator = result["NextShardIterator"]
    return total


@pytest.fixture
def seeded(aws: LocalResources) -> Any:
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    ddb.put_item(TableName=aws.physical("Table"), Item={**_key("B"), "n": {"N": "1"}})
    ddb.put_item(TableName=aws.physical("Table"), Item={**_key("C"), "n": {"N": "1"}})
    return ddb


def _items(ddb: Any, table: str) -> dict[str, Any]:
    found = {}
    for pk in ("A", "B", "C", "D"):
        item = ddb.get_item(TableName=table, Key=_key(pk), ConsistentRead=True).get("Item")
        if item is not None:
            found[pk] = item
    return found


def _transaction(table: str, *, last: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"Put": {"TableName": table, "Item": {**_key("A"), "n": {"N": "7"}}}},
        {"Update": {"TableName": table, "Key": _key("B"), "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"Delete": {"TableName": table, "Key": _key("C")}},
        last,
    ]


def test_a_cancelled_transaction_leaves_every_item_and_the_stream_as_they_were(
        aws: LocalResources, seeded: Any) -> None:
    before, records = _items(seeded, aws.physical("Table")), _stream_records(aws)
    failing = {"ConditionCheck": {"TableName": aws.physical("Table"), "Key": _key("D"),
                                  "ConditionExpression": "attribute_exists(pk)"}}
    with pytest.raises(ClientError) as caught:
        seeded.transact_write_items(TransactItems=_transaction(aws.physical("Table"), last=failing))
    assert caught.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert _items(seeded, aws.physical("Table")) == before
    assert _stream_records(aws) == records


def test_a_transaction_refused_midway_for_naming_an_item_twice_writes_nothing(
        aws: LocalResources, seeded: Any) -> None:
    before, records = _items(seeded, aws.physical("Table")), _stream_records(aws)
    twice = {"Put": {"TableName": aws.physical("Table"), "Item": {**_key("A"), "n": {"N": "8"}}}}
    with pytest.raises(ClientError):
        seeded.transact_write_items(TransactItems=_transaction(aws.physical("Table"), last=twice))
    assert _items(seeded, aws.physical("Table")) == before
    assert _stream_records(aws) == records


def test_a_committed_transaction_writes_every_item_and_its_stream_records(
        aws: LocalResources, seeded: Any) -> None:
    records = _stream_records(aws)
    passing = {"ConditionCheck": {"TableName": aws.physical("Table"), "Key": _key("D"),
                                  "ConditionExpression": "attribute_not_exists(pk)"}}
    seeded.transact_write_items(TransactItems=_transaction(aws.physical("Table"), last=passing))
    after = _items(seeded, aws.physical("Table"))
    assert set(after) == {"A", "B"}
    assert after["A"]["n"] == {"N": "7"} and after["B"]["n"] == {"N": "2"}
    assert _stream_records(aws) == records + 3


def test_a_transaction_does_not_copy_the_table(aws: LocalResources, seeded: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's own backup deep-copies the whole table per item; the journal copies only the
    items the transaction names, so its cost does not grow with the table."""
    from moto.dynamodb.models.table import Table

    copied: list[str] = []
    real = copy.deepcopy

    def counting(value: Any, memo: Any = None) -> Any:
        if isinstance(value, Table):
            copied.append(value.name)
        return real(value, memo)

    monkeypatch.setattr(copy, "deepcopy", counting)
    failing = {"ConditionCheck": {"TableName": aws.physical("Table"), "Key": _key("D"),
                                  "ConditionExpression": "attribute_exists(pk)"}}
    with pytest.raises(ClientError):
        seeded.transact_write_items(TransactItems=_transaction(aws.physical("Table"), last=failing))
    assert copied == []


def test_reads_racing_writes_of_new_items_never_fail(aws: LocalResources, seeded: Any) -> None:
    """moto's Scan and Query loop over the table's dict of partitions; a Put of a new partition
    key in another thread used to break that loop ("dictionary changed size during iteration",
    a CI failure of test_distribution_concurrency). DynamoDB's reads never fail so."""
    table = aws.physical("Table")
    writing = threading.Event()
    writing.set()
    failures: list[BaseException] = []

    def write(prefix: str) -> None:
        try:
            for i in range(300):
                seeded.put_item(TableName=table, Item={**_key(f"{prefix}{i}"), "gsi1pk": {"S": "G"},
                                                       "gsi1sk": {"S": f"{i:05d}"}})
        finally:
            writing.clear()

    def read() -> None:
        while writing.is_set():
            try:
                seeded.scan(TableName=table, Select="COUNT")
                seeded.query(TableName=table, IndexName="gsi1", KeyConditionExpression="gsi1pk = :g",
                             ExpressionAttributeValues={":g": {"S": "G"}}, Select="COUNT")
            except BaseException as failure:  # the test collects what a read raised
                failures.append(failure)
                return

    threads = [threading.Thread(target=write, args=("W",))] + [threading.Thread(target=read) for _ in range(2)]
    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so a read is preempted inside its loop
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switching)
    assert failures == []
    assert seeded.scan(TableName=table, Select="COUNT")["Count"] == 300 + 2
