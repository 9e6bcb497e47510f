"""Queue workers. ``upload_handler`` receives S3 ObjectCreated notifications through SQS
(template.yaml → UploadWorkerFunction) and reports partial batch failures, so only the
records that raised are retried (and, after maxReceiveCount, land in the DLQ).

Each upload prefix is handled by one processor, imported only when a record needs it (the
PDF and spreadsheet readers are heavy)."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from zhtj import bootstrap
from zhtj.handlers.logs import logger


@dataclass(frozen=True)
class UploadedObject:
    bucket: str
    key: str
    size: int
    version_id: str | None
    etag: str | None
    sequencer: str | None


# key prefix → "module:function" taking (container, UploadedObject). Later capabilities
# (spreadsheet imports, archive PDFs) register here.
PROCESSORS: dict[str, str] = {
    "uploads/archives/": "zhtj.handlers.archive_worker:process",
    "uploads/imports/": "zhtj.handlers.import_worker:process",
}


def uploaded_objects(body: str) -> Iterator[UploadedObject]:
    """The objects named by one S3 notification. S3 first sends an ``s3:TestEvent`` when the
    notification is configured (it names no object), and URL-encodes keys ("+" for spaces)."""
    message = json.loads(body)
    if message.get("Event") == "s3:TestEvent":
        return
    for record in message.get("Records", []):
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        s3 = record["s3"]
        obj = s3["object"]
        yield UploadedObject(
            bucket=s3["bucket"]["name"],
            key=unquote_plus(obj["key"]),
            size=int(obj.get("size", 0)),
            version_id=obj.get("versionId"),
            etag=obj.get("eTag"),
            sequencer=obj.get("sequencer"),
        )


def processor_for(key: str, processors: dict[str, str] | None = None) -> Callable[..., Any] | None:
    table = PROCESSORS if processors is None else processors
    for prefix, target in sorted(table.items(), key=lambda kv: -len(kv[0])):
        if key.startswith(prefix):
            module, _, function = target.partition(":")
            return getattr(importlib.import_module(module), function)  # type: ignore[no-any-return]
    return None


def handle_record(record: SQSRecord) -> None:
    for obj in uploaded_objects(record.body):
        process = processor_for(obj.key)
        if process is None:
            # Not ours to retry: an object under a prefix nobody handles would only fill the DLQ.
            logger().warning("no processor for uploaded object", extra={"prefix": obj.key.split("/")[:2]})
            continue
        process(bootstrap.container(), obj)


def upload_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return dict(process_partial_response(
        event=event, record_handler=handle_record, processor=BatchProcessor(event_type=EventType.SQS),
        context=context,
    ))
