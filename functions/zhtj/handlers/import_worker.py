"""The spreadsheet-import processor of the upload worker (handlers.workers.PROCESSORS →
``uploads/imports/``): one uploaded file → :func:`zhtj.services.imports.process_upload`.

The spreadsheet readers (calamine/openpyxl, in a bounded child process) load on first use
only, inside the service: the API function never imports them (DESIGN "Cold start")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from zhtj.adapters.dynamodb_imports import DynamoImportStore
from zhtj.adapters.s3_imports import S3ImportFiles
from zhtj.bootstrap import Container
from zhtj.handlers.logs import logger
from zhtj.services import imports

# Threads writing one chunk's rows. DynamoDB serves each conditional put in a few ms, so
# 16 in flight keep a 20,000-row file well inside the worker's timeout; moto (the local stack)
# serialises writes behind one lock and was fastest with 4 (measured: 250 → 350 puts/s).
PARALLELISM_AWS = 16
PARALLELISM_LOCAL = 4


def import_store(container: Container) -> DynamoImportStore:
    """A fresh store per invocation: its request counter measures this invocation only."""
    return DynamoImportStore(container.clients, container.settings.table_name)


def import_files(container: Container) -> S3ImportFiles:
    return S3ImportFiles(container.archive_files)


def _now() -> datetime:
    return datetime.now(UTC)


def worker_for(container: Container, **options: Any) -> imports.Worker:
    local = bool(container.settings.endpoint_url)
    return imports.Worker(ledger=import_store(container), files=import_files(container),
                          secret=container.settings.id_hash_key.encode(), now=_now,
                          parallelism=PARALLELISM_LOCAL if local else PARALLELISM_AWS, **options)


def process(container: Container, obj: Any) -> imports.ProcessOutcome:
    """``obj`` is a handlers.workers.UploadedObject. Raises to have the record retried (SQS)."""
    worker = worker_for(container)
    outcome = imports.process_upload(obj.key, obj.version_id, worker)
    store = worker.ledger
    cost: dict[str, Any] = store.counter.snapshot() if isinstance(store, DynamoImportStore) else {}
    # Keys carry no name or ID number (job ids are random), so they may be logged.
    logger().info("import upload processed", extra={"status": outcome.status, "job_id": outcome.job_id,
                                                    "rows": outcome.rows, "imported": outcome.imported,
                                                    "failed": outcome.failed, "dynamodb": cost})
    return outcome
