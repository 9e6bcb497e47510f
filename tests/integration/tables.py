"""Tables of the template's schema beside the stack's own, for tests that start many runs from
one state (a clean run, then a run crashed at each point): the state is written once, copied
into a table per run, and each run is compared with the clean one."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from zhtj import bootstrap
from zhtj.bootstrap import Container


def table_like(base: Container, name: str, *, stream: bool = False) -> Container:
    """A container on a new, empty table ``name`` with ``base``'s keys and indexes (the same
    bucket, queue and user pool). ``stream`` gives it the template's stream, for the figures
    consumer."""
    ddb = base.clients.client("dynamodb")
    spec = ddb.describe_table(TableName=base.settings.table_name)["Table"]
    options: dict[str, Any] = {}
    if stream:
        options["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    ddb.create_table(
        TableName=name, KeySchema=spec["KeySchema"], AttributeDefinitions=spec["AttributeDefinitions"],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[{"IndexName": g["IndexName"], "KeySchema": g["KeySchema"],
                                 "Projection": g["Projection"]} for g in spec["GlobalSecondaryIndexes"]],
        **options)
    return bootstrap.build(replace(base.settings, table_name=name))


def raw_items(container: Container) -> list[dict[str, Any]]:
    """Every item of the container's table as DynamoDB returns it (typed), read consistently."""
    client = container.clients.client("dynamodb")
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": container.settings.table_name, "ConsistentRead": True}
    while True:
        page = client.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def all_items(container: Container) -> list[dict[str, Any]]:
    """Every item of the container's table, as the adapters see them."""
    from zhtj.adapters.dynamodb import from_item

    return [from_item(i) for i in raw_items(container)]


def copy_items(source: Container, target: Container,
               keep: Callable[[Mapping[str, Any]], bool] = lambda item: True) -> None:
    """Every item of ``source``'s table that ``keep`` accepts (raw, typed items), into ``target``'s."""
    ddb = source.clients.client("dynamodb")
    items = [i for i in raw_items(source) if keep(i)]
    name = target.settings.table_name
    for start in range(0, len(items), 25):
        ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": i}} for i in items[start:start + 25]]})
