"""The SQS pump: what Lambda's SQS event-source mapping does, for the local stack.

It long-polls each queue that a function subscribes to (template.yaml Events of Type SQS),
hands the function a batch of up to BatchSize records, deletes the records that succeeded
and leaves the rest on the queue: with ReportBatchItemFailures only the reported ones, and
every record of the batch when the function raises. A record that keeps failing is received
again until the queue's maxReceiveCount moves it to the dead-letter queue (moto implements
the redrive).

One local difference, on purpose: Lambda waits for the queue's visibility timeout (an hour
here) before a failed record is retried; the pump makes failed records visible again after
``retry_delay_s`` so that retries and the DLQ can be watched in seconds."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from infra.local.front import LambdaContext, load_handler
from infra.local.template import QueueTrigger


@dataclass
class PumpStats:
    batches: int = 0
    succeeded: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


class PumpThread:
    """What every local event-source mapping shares: the function's handler (loaded on first
    use), a background thread that calls ``poll_once`` until asked to stop, and a stop that
    can be requested for many pumps before waiting for each. Subclasses set ``trigger``
    (``.function``, ``.handler``), ``stats`` (with ``.errors``) and ``idle_wait_s`` (how long
    to sleep after a round that found nothing; 0 when ``poll_once`` long-polls itself)."""

    thread_prefix = "pump"
    trigger: Any
    stats: Any
    wait_s: float
    idle_wait_s: float = 0

    def __init__(self, handler: Callable[[dict[str, Any], Any], Any] | None) -> None:
        self._handler = handler
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def handler(self) -> Callable[[dict[str, Any], Any], Any]:
        if self._handler is None:
            self._handler = load_handler(self.trigger.handler)
        return self._handler

    def poll_once(self) -> int:
        raise NotImplementedError

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"{self.thread_prefix}-{self.trigger.function}",
                                        daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        self._stop.set()

    def stop(self) -> None:
        self.request_stop()
        if self._thread:
            self._thread.join(timeout=self.wait_s + 5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if not self.poll_once() and self.idle_wait_s:
                    self._stop.wait(self.idle_wait_s)
            except Exception as exc:  # keep pumping; a local outage must not end the stack
                self.stats.errors.append(f"{type(exc).__name__}: {exc}")
                self._stop.wait(1)


class SqsPump(PumpThread):
    def __init__(self, sqs: Any, trigger: QueueTrigger, queue_url: str, queue_arn: str, *,
                 region: str = "us-east-1", retry_delay_s: int = 1, wait_s: int = 1,
                 handler: Callable[[dict[str, Any], Any], Any] | None = None) -> None:
        super().__init__(handler)
        self.sqs = sqs
        self.trigger = trigger
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.region = region
        self.retry_delay_s = retry_delay_s
        self.wait_s = wait_s
        self.stats = PumpStats()

    def poll_once(self) -> int:
        """Receive one batch and run the function on it; returns the number of records."""
        received = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(self.trigger.batch_size, 10),
            WaitTimeSeconds=self.wait_s,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = received.get("Messages", [])
        if not messages:
            return 0
        event = {"Records": [self._record(m) for m in messages]}
        failed_ids: set[str]
        try:
            response = self.handler(event, LambdaContext(self.trigger.function, timeout_s=120))
        except Exception as exc:
            self.stats.errors.append(f"{type(exc).__name__}: {exc}")
            failed_ids = {m["MessageId"] for m in messages}
        else:
            failed_ids = set()
            if self.trigger.report_batch_item_failures and isinstance(response, dict):
                failed_ids = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
        self.stats.batches += 1
        done = [m for m in messages if m["MessageId"] not in failed_ids]
        retry = [m for m in messages if m["MessageId"] in failed_ids]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        for message in retry:
            self.sqs.change_message_visibility(
                QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"],
                VisibilityTimeout=self.retry_delay_s,
            )
        self.stats.succeeded += len(done)
        self.stats.failed += len(retry)
        return len(messages)

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.region,
        }
