"""The figures consumer (template.yaml → FiguresFunction): the table's DynamoDB stream
(NEW_AND_OLD_IMAGES) keeps the progress counters (zhtj.services.figures).

One invocation receives one batch of one shard, in order. The whole batch is applied in as few
transactions as the 100-item limit allows — not record by record, which is why Powertools'
per-record BatchProcessor is not used here — and a failure answers
``{"batchItemFailures": [{"itemIdentifier": <first sequence number not applied>}]}``
(FunctionResponseTypes: ReportBatchItemFailures), so Lambda resumes at that record. Records of
other items never reach the function (the event source's FilterCriteria), and any that do are
skipped."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from zhtj import bootstrap
from zhtj.adapters.dynamodb import from_item
from zhtj.adapters.dynamodb_figures import DynamoFigures
from zhtj.handlers.logs import logger
from zhtj.services import figures


def figures_store(container: bootstrap.Container) -> DynamoFigures:
    return DynamoFigures(container.clients, container.settings.table_name)


def decode(records: Iterable[Mapping[str, Any]]) -> list[figures.StreamRecord]:
    decoded = []
    for record in records:
        data = record.get("dynamodb") or {}
        decoded.append(figures.StreamRecord(
            sequence=str(data.get("SequenceNumber", "")),
            keys=from_item(data.get("Keys") or {}),
            old=from_item(data["OldImage"]) if data.get("OldImage") else None,
            new=from_item(data["NewImage"]) if data.get("NewImage") else None,
        ))
    return decoded


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    result = figures.consume(decode(event.get("Records") or []), figures_store(bootstrap.container()))
    logger().info("figures batch", extra={"records": result.records, "changes": result.changes,
                                          "duplicates": result.skipped_duplicates,
                                          "transactions": result.transactions, "failed_from": result.failed_from})
    return result.response()
