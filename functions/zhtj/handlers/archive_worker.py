"""The archive processor of the upload worker (handlers.workers.PROCESSORS →
``uploads/archives/``): one S3 object posted with a presigned upload → validated and applied
by :func:`zhtj.services.archives.process_upload`.

The PDF reader (pypdf, in a bounded child process) is imported here on first use only: the
API function never loads it (DESIGN "Cold start")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from zhtj.bootstrap import Container
from zhtj.handlers.logs import logger
from zhtj.services import archives


def _check(data: bytes, expected_number: str | None) -> Any:
    from zhtj.readers.pdf import check_pdf

    return check_pdf(data, expected_number=expected_number)


def _now() -> datetime:
    return datetime.now(UTC)


def process(container: Container, obj: Any) -> archives.UploadOutcome:
    """``obj`` is a handlers.workers.UploadedObject. Raises to have the record retried (SQS)."""
    events = getattr(container, "archive_events", None) or archives.NO_EVENTS
    outcome = archives.process_upload(
        archives.SourceObject(key=obj.key, version_id=obj.version_id, etag=obj.etag),
        ledger=container.archives, files=container.archive_files, orgs=container.store, check=_check,
        now=_now, events=events,
    )
    # Keys carry no name or ID number (member ids are keyed hashes), so they may be logged.
    logger().info("archive upload processed", extra={"status": outcome.status, "member_id": outcome.member_id,
                                                     "upload_id": outcome.upload_id, "version": outcome.version,
                                                     "state": outcome.state, "codes": list(outcome.codes)})
    return outcome
