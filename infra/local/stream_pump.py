"""The DynamoDB stream pump: what Lambda's DynamoDB event-source mapping does, for the local
stack (the SQS pump's sibling, infra/local/pump.py).

For each function with an event of Type DynamoDB in template.yaml it reads the table's stream
in the embedded AWS (dynamodbstreams: DescribeStream, GetShardIterator, GetRecords) and, like
the mapping:

* reads every shard on its own, in sequence order, from ``StartingPosition`` (TRIM_HORIZON or
  LATEST), keeping a checkpoint per shard (the last sequence number handed over for good);
* drops records that match none of the ``FilterCriteria`` patterns (the subset this project
  uses: exact values and ``{"prefix": …}``), as Lambda does before invoking;
* hands the function up to ``BatchSize`` records as ``{"Records": [...]}`` with
  ``eventSourceARN``; one batch per shard at a time; a batch smaller than ``BatchSize`` waits
  until ``MaximumBatchingWindowInSeconds`` has passed since its records were first seen (the
  window matters locally too: each invocation is a transaction the writers wait behind);
* with ``ReportBatchItemFailures`` advances the checkpoint to just before the lowest reported
  ``itemIdentifier`` and retries from there; when the function raises, retries the batch —
  split in two first with ``BisectBatchOnFunctionError``;
* after ``MaximumRetryAttempts`` retries sends an on-failure record (``DDBStreamBatchInfo``)
  to the ``DestinationConfig.OnFailure`` queue and moves on.

Retries happen at once (Lambda backs off); nothing else differs on purpose."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from infra.local.front import LambdaContext
from infra.local.pump import PumpThread
from infra.local.template import resources_of_type

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass(frozen=True)
class StreamTrigger:
    function: str
    handler: str
    table_resource: str
    batch_size: int = 100
    batching_window_s: float = 0
    starting_position: str = "TRIM_HORIZON"
    report_batch_item_failures: bool = False
    maximum_retry_attempts: int = -1  # -1: until the record expires (Lambda's default)
    bisect_on_error: bool = False
    filters: tuple[Mapping[str, Any], ...] = ()
    on_failure_resource: str | None = None


def stream_triggers(template: Mapping[str, Any]) -> list[StreamTrigger]:
    triggers = []
    for name, spec in resources_of_type(template, "AWS::Serverless::Function").items():
        props = spec.get("Properties", {})
        for event in props.get("Events", {}).values():
            if event.get("Type") != "DynamoDB":
                continue
            e = event["Properties"]
            stream = e["Stream"]
            table = stream["Fn::GetAtt"][0] if isinstance(stream, dict) else str(stream).split(".")[0]
            destination = ((e.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            triggers.append(StreamTrigger(
                function=name, handler=props["Handler"], table_resource=table,
                batch_size=int(e.get("BatchSize", 100)),
                batching_window_s=float(e.get("MaximumBatchingWindowInSeconds", 0)),
                starting_position=str(e.get("StartingPosition", "TRIM_HORIZON")),
                report_batch_item_failures="ReportBatchItemFailures" in e.get("FunctionResponseTypes", []),
                maximum_retry_attempts=int(e.get("MaximumRetryAttempts", -1)),
                bisect_on_error=bool(e.get("BisectBatchOnFunctionError", False)),
                filters=tuple(json.loads(f["Pattern"]) for f in (e.get("FilterCriteria") or {}).get("Filters", [])),
                on_failure_resource=destination["Fn::GetAtt"][0] if isinstance(destination, dict) else None,
            ))
    return triggers


def matches(pattern: Mapping[str, Any], value: Any) -> bool:
    """EventBridge-style filter matching, the subset the template uses."""
    if not isinstance(value, Mapping):
        return False
    for key, wanted in pattern.items():
        if key not in value:
            return False
        if isinstance(wanted, Mapping):
            if not matches(wanted, value[key]):
                return False
            continue
        if not isinstance(wanted, list):
            raise NotImplementedError(f"filter {wanted!r}")
        actual = value[key]
        if not any(_leaf(option, actual) for option in wanted):
            return False
    return True


def _leaf(option: Any, actual: Any) -> bool:
    if isinstance(option, Mapping):
        if set(option) == {"prefix"}:
            return isinstance(actual, str) and actual.startswith(str(option["prefix"]))
        raise NotImplementedError(f"filter {option!r}")
    return bool(option == actual)


@dataclass
class StreamPumpStats:
    invocations: int = 0
    delivered: int = 0
    filtered: int = 0
    retries: int = 0
    sent_to_dlq: int = 0
    errors: list[str] = field(default_factory=list)


class StreamPump(PumpThread):
    thread_prefix = "stream-pump"

    def __init__(self, streams: Any, trigger: StreamTrigger, stream_arn: str, *, sqs: Any = None,
                 on_failure_url: str | None = None, region: str = "us-east-1", wait_s: float = 0.2,
                 handler: Handler | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(handler)
        self.clock = clock
        self.window_opened: dict[str, float] = {}  # shard → when a partial batch was first seen
        self.streams = streams
        self.trigger = trigger
        self.stream_arn = stream_arn
        self.sqs = sqs
        self.on_failure_url = on_failure_url
        self.region = region
        self.wait_s = wait_s
        self.idle_wait_s = wait_s
        self.stats = StreamPumpStats()
        self.checkpoints: dict[str, str | None] = {}  # shard → last sequence handed over for good
        if trigger.starting_position == "LATEST":
            for shard in self._shards():
                self.checkpoints[shard] = self._latest(shard)

    def drain(self, max_rounds: int = 10_000) -> int:
        """Poll until every shard is read to its end (tests); returns records read."""
        total = 0
        for _ in range(max_rounds):
            read = self.poll_once(wait_for_window=False)
            if not read:
                return total
            total += read
        raise RuntimeError("stream not drained")

    # ------------------------------------------------------------ one round
    def poll_once(self, *, wait_for_window: bool = True) -> int:
        """One batch from each shard with new records; returns the number of records handed
        over (0 while a partial batch waits for its window)."""
        read = 0
        window = self.trigger.batching_window_s if wait_for_window else 0
        for shard in self._shards():
            opened = self.window_opened.get(shard)
            if opened is not None and self.clock() - opened < window:
                continue  # not even read: a read under the lock costs the writers too
            records = self._read(shard)
            if not records:
                self.window_opened.pop(shard, None)
                continue
            if len(records) < self.trigger.batch_size and opened is None and window > 0:
                self.window_opened[shard] = self.clock()
                continue
            self.window_opened.pop(shard, None)
            read += len(records)
            wanted = [r for r in records if self._wanted(r)]
            self.stats.filtered += len(records) - len(wanted)
            if wanted:
                self._deliver(shard, wanted, self.trigger.maximum_retry_attempts)
            self.checkpoints[shard] = records[-1]["dynamodb"]["SequenceNumber"]
        return read

    def _shards(self) -> list[str]:
        shards: list[str] = []
        kwargs: dict[str, Any] = {"StreamArn": self.stream_arn}
        while True:
            description = self.streams.describe_stream(**kwargs)["StreamDescription"]
            shards += [s["ShardId"] for s in description.get("Shards", [])]
            last = description.get("LastEvaluatedShardId")
            if not last:
                return shards
            kwargs["ExclusiveStartShardId"] = last

    def _iterator(self, shard: str) -> str:
        after = self.checkpoints.get(shard)
        if after:
            return str(self.streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard,
                                                       ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                                                       SequenceNumber=after)["ShardIterator"])
        return str(self.streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard,
                                                   ShardIteratorType="TRIM_HORIZON")["ShardIterator"])

    def _latest(self, shard: str) -> str | None:
        iterator = self._iterator(shard)
        last = None
        while True:
            result = self.streams.get_records(ShardIterator=iterator, Limit=1000)
            if not result.get("Records"):
                return last
            last = result["Records"][-1]["dynamodb"]["SequenceNumber"]
            iterator = result["NextShardIterator"]

    def _read(self, shard: str) -> list[dict[str, Any]]:
        result = self.streams.get_records(ShardIterator=self._iterator(shard), Limit=self.trigger.batch_size)
        return [self._record(r) for r in result.get("Records", [])]

    def _wanted(self, record: Mapping[str, Any]) -> bool:
        return not self.trigger.filters or any(matches(p, record) for p in self.trigger.filters)

    def _record(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        data = dict(raw["dynamodb"])
        created = data.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            data["ApproximateCreationDateTime"] = int(created.timestamp())
        return {"eventID": raw.get("eventID"), "eventName": raw.get("eventName"),
                "eventVersion": raw.get("eventVersion", "1.1"), "eventSource": "aws:dynamodb",
                "awsRegion": raw.get("awsRegion", self.region), "dynamodb": data,
                "eventSourceARN": self.stream_arn}

    # ------------------------------------------------------------ invocation, retries, DLQ
    def _invoke(self, batch: Sequence[Mapping[str, Any]]) -> int | None:
        """Index of the first record to retry, or None when the whole batch succeeded.
        Raises when the function raised."""
        self.stats.invocations += 1
        response = self.handler({"Records": list(batch)}, LambdaContext(self.trigger.function, timeout_s=60))
        if not self.trigger.report_batch_item_failures or not isinstance(response, Mapping):
            return None
        failures = response.get("batchItemFailures") or []
        if not failures:
            return None
        sequences = [r["dynamodb"]["SequenceNumber"] for r in batch]
        identifiers = [f.get("itemIdentifier") for f in failures]
        if any(i not in sequences for i in identifiers):
            return 0  # an unknown or empty identifier fails the whole batch (as Lambda does)
        return min(sequences.index(i) for i in identifiers)

    def _deliver(self, shard: str, batch: list[dict[str, Any]], attempts_left: int) -> None:
        while batch:
            try:
                failed_at = self._invoke(batch)
                raised = False
            except Exception as exc:
                self.stats.errors.append(f"{type(exc).__name__}: {exc}")
                failed_at, raised = 0, True
            if failed_at is None:
                self.stats.delivered += len(batch)
                return
            self.stats.delivered += failed_at
            batch = batch[failed_at:]
            if attempts_left == 0:
                self._send_to_dlq(shard, batch)
                return
            attempts_left = attempts_left - 1 if attempts_left > 0 else attempts_left
            self.stats.retries += 1
            if raised and self.trigger.bisect_on_error and len(batch) > 1:
                half = len(batch) // 2
                self._deliver(shard, batch[:half], attempts_left)
                self._deliver(shard, batch[half:], attempts_left)
                return

    def _send_to_dlq(self, shard: str, batch: Sequence[Mapping[str, Any]]) -> None:
        self.stats.sent_to_dlq += len(batch)
        if not (self.sqs and self.on_failure_url):
            return
        now = datetime.now(UTC).isoformat()
        body = {"version": "1.0", "timestamp": now,
                "requestContext": {"condition": "RetryAttemptsExhausted",
                                   "functionArn": f"arn:aws:lambda:{self.region}:123456789012:function:"
                                                  f"{self.trigger.function}", "approximateInvokeCount": 1},
                "DDBStreamBatchInfo": {"shardId": shard, "streamArn": self.stream_arn, "batchSize": len(batch),
                                       "startSequenceNumber": batch[0]["dynamodb"]["SequenceNumber"],
                                       "endSequenceNumber": batch[-1]["dynamodb"]["SequenceNumber"]}}
        self.sqs.send_message(QueueUrl=self.on_failure_url, MessageBody=json.dumps(body))


def streams_client(session: Any, *, endpoint_url: str | None, region: str = "us-east-1") -> Any:
    """boto3 ≥ 1.36 sends stream calls to account-based endpoints ({account}.streams-ddb…),
    which moto's in-process mock does not route; the classic endpoint works everywhere."""
    from botocore.config import Config

    return session.client("dynamodbstreams", region_name=region, endpoint_url=endpoint_url,
                          config=Config(account_id_endpoint_mode="disabled"))


def start_stream_pumps(session: Any, template: Mapping[str, Any], resources: Any, *, endpoint_url: str | None,
                       region: str = "us-east-1", start: bool = True) -> list[StreamPump]:
    """One pump per DynamoDB event in the template (the local stack calls this)."""
    ddb = session.client("dynamodb", region_name=region, endpoint_url=endpoint_url)
    sqs = session.client("sqs", region_name=region, endpoint_url=endpoint_url)
    streams = streams_client(session, endpoint_url=endpoint_url, region=region)
    pumps = []
    for trigger in stream_triggers(template):
        table = ddb.describe_table(TableName=resources.physical(trigger.table_resource))["Table"]
        url = resources.physical(trigger.on_failure_resource) if trigger.on_failure_resource else None
        pump = StreamPump(streams, trigger, table["LatestStreamArn"], sqs=sqs, on_failure_url=url, region=region)
        if start:
            pump.start()
        pumps.append(pump)
    return pumps
