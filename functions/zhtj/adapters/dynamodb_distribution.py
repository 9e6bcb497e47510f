"""DynamoDB storage of distribution down the tree (``zhtj.services.distribution``), on the items
of the storage design in :mod:`zhtj.adapters.dynamodb`:

* quota ``QUOTA#{year}#{domain}`` / ``ORG#{org_id}`` — ``quota``, ``used``, ``remaining``
  (= quota − used), ``distributed`` (handed to children);
* held segment ``ORG#{holder}`` / ``SEGMENT#{year}#{domain}#{first:06d}`` — ``first``,
  ``last``, ``province_code`` and ``used_sequences`` (number set; a registration ADDs its
  sequence under the condition that the item exists and contains it).

**One change, one transaction.** :meth:`DynamoDistribution.apply` writes a
:class:`~zhtj.services.distribution.QuotaChange` in one TransactWriteItems:

1. the parent's quota item: ``SET distributed = :after`` under ``quota = :q AND distributed =
   :d`` (the values read) — Σ children ≤ parent holds however many admins distribute at once;
2. the child's quota item: an increase ``SET quota = :new, remaining = remaining + :delta``
   under ``quota = :old``; a decrease ``… remaining - :delta`` under ``quota = :old AND
   distributed = :cd AND remaining >= :delta + :cd`` (= the new quota stays ≥ used +
   distributed; conditions cannot do arithmetic, ``remaining`` can); a first quota is a Put
   under ``attribute_not_exists``. ``remaining`` is updated relative to its current value, so
   registrations counting ``used`` at the same time are not lost;
3. every held-segment item that changes, guarded by what was read: a changed or removed item
   under ``first = :f AND last = :l`` and the **size** of its ``used_sequences`` as read
   (``attribute_not_exists`` when it was empty) — a per-number ``NOT contains`` would need
   one condition per carved number. Registrations only ADD to the set, so a registration that
   committed after the read changes its size and cancels this transaction; one that comes
   after the commit finds the item gone or its range no longer containing the number and is
   cancelled itself ("号段刚刚被重新分配"). A new item is a Put under ``attribute_not_exists``.
   Items are rewritten whole (Put), so the used sequences travel with the numbers they are in.

Any failed guard cancels the whole transaction (nothing half-moved) and raises
:class:`~zhtj.services.distribution.StaleState`; the use case re-reads and decides again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from zhtj.adapters.dynamodb import TableAdapter, from_item, quota_key, segment_key, to_item
from zhtj.services.distribution import HeldRange, QuotaChange, QuotaState, StaleState

_BATCH_GET_LIMIT = 100
_RETRYABLE = {"ConditionalCheckFailed", "TransactionConflict"}


def held_range_item(held: HeldRange) -> dict[str, Any]:
    item = to_item({**segment_key(held.holder_id, held.year, held.domain, held.first), "type": "segment",
                    "holder_id": held.holder_id, "year": held.year, "domain": held.domain,
                    "province_code": held.province_code, "first": held.first, "last": held.last})
    if held.used:  # DynamoDB has no empty sets: no used sequence → no attribute
        item["used_sequences"] = {"NS": [str(n) for n in sorted(held.used)]}
    return item


def held_range_from_item(item: Mapping[str, Any]) -> HeldRange:
    values = from_item(item)
    return HeldRange(
        holder_id=str(values["holder_id"]), year=int(values["year"]), domain=str(values["domain"]),
        province_code=str(values["province_code"]), first=int(values["first"]), last=int(values["last"]),
        used=frozenset(int(n) for n in values.get("used_sequences", ())),
    )


class DynamoDistribution(TableAdapter):

    # ------------------------------------------------------------ reads (consistent)
    def quota_states(self, org_ids: Sequence[str], year: int,
                     domains: Sequence[str]) -> dict[tuple[str, str], QuotaState]:
        keys = [quota_key(year, d, o) for o in dict.fromkeys(org_ids) for d in dict.fromkeys(domains)]
        found: dict[tuple[str, str], QuotaState] = {}
        for start in range(0, len(keys), _BATCH_GET_LIMIT):
            request: dict[str, Any] = {self.table_name: {
                "Keys": [to_item(k) for k in keys[start : start + _BATCH_GET_LIMIT]], "ConsistentRead": True}}
            while request:
                result = self.client.batch_get_item(RequestItems=request)
                for item in result.get("Responses", {}).get(self.table_name, []):
                    values = from_item(item)
                    domain = str(values["pk"]).split("#", 2)[2]
                    org_id = str(values["sk"]).removeprefix("ORG#")
                    quota, used = int(values.get("quota", 0)), int(values.get("used", 0))
                    found[(org_id, domain)] = QuotaState(
                        quota=quota, used=used, distributed=int(values.get("distributed", 0)),
                        remaining=int(values.get("remaining", quota - used)))
                request = result.get("UnprocessedKeys") or {}
        return found

    def held_ranges(self, org_id: str, year: int, domain: str | None = None) -> list[HeldRange]:
        prefix = f"SEGMENT#{year}#{domain}#" if domain else f"SEGMENT#{year}#"
        kwargs: dict[str, Any] = {
            "TableName": self.table_name, "ConsistentRead": True,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": f"ORG#{org_id}"}, ":prefix": {"S": prefix}},
        }
        ranges: list[HeldRange] = []
        while True:
            result = self.client.query(**kwargs)
            ranges += [held_range_from_item(i) for i in result.get("Items", [])]
            if "LastEvaluatedKey" not in result:
                return sorted(ranges, key=lambda r: r.first)
            kwargs["ExclusiveStartKey"] = result["LastEvaluatedKey"]

    # ------------------------------------------------------------ the change
    def transact_items(self, change: QuotaChange) -> list[dict[str, Any]]:
        """The TransactWriteItems of ``change`` (see the module docstring)."""
        items = [{"Update": self._parent_update(change)}, self._child_write(change)]
        before = {(r.holder_id, r.first): r for r in change.ranges_before}
        after = {(r.holder_id, r.first): r for r in change.ranges_after}
        for key, old in before.items():
            new = after.get(key)
            if new is None:
                items.append({"Delete": {"TableName": self.table_name, **self._guard(old),
                                         "Key": to_item(segment_key(old.holder_id, old.year, old.domain, old.first))}})
            elif (new.last, new.used, new.province_code) != (old.last, old.used, old.province_code):
                items.append({"Put": {"TableName": self.table_name, "Item": held_range_item(new), **self._guard(old)}})
        for key, new in after.items():
            if key not in before:
                items.append({"Put": {"TableName": self.table_name, "Item": held_range_item(new),
                                      "ConditionExpression": "attribute_not_exists(pk)"}})
        return items

    def apply(self, change: QuotaChange) -> None:
        client = self.client
        try:
            client.transact_write_items(TransactItems=self.transact_items(change))
        except client.exceptions.TransactionCanceledException as exc:
            reasons = exc.response.get("CancellationReasons", [])
            if any(r.get("Code") in _RETRYABLE for r in reasons) or not reasons:
                raise StaleState(str(exc)) from None
            raise

    def _parent_update(self, change: QuotaChange) -> dict[str, Any]:
        before = change.parent_before
        return {
            "TableName": self.table_name,
            "Key": to_item(quota_key(change.year, change.domain, change.parent_id)),
            "UpdateExpression": "SET distributed = :after",
            "ConditionExpression": "attribute_exists(pk) AND quota = :q AND distributed = :d",
            "ExpressionAttributeValues": to_item({":after": change.parent_distributed_after, ":q": before.quota,
                                                  ":d": before.distributed}),
        }

    def _child_write(self, change: QuotaChange) -> dict[str, Any]:
        key = to_item(quota_key(change.year, change.domain, change.child_id))
        before = change.child_before
        if before is None:
            item = {**key, **to_item({"type": "quota", "quota": change.child_quota_after, "used": 0,
                                      "remaining": change.child_quota_after, "distributed": 0})}
            return {"Put": {"TableName": self.table_name, "Item": item,
                            "ConditionExpression": "attribute_not_exists(pk)"}}
        delta = change.child_quota_after - before.quota
        if delta >= 0:
            update = "SET quota = :new, remaining = remaining + :delta"
            condition = "attribute_exists(pk) AND quota = :old"
            values = {":new": change.child_quota_after, ":delta": delta, ":old": before.quota}
        else:
            update = "SET quota = :new, remaining = remaining - :delta"
            condition = "attribute_exists(pk) AND quota = :old AND distributed = :cd AND remaining >= :need"
            values = {":new": change.child_quota_after, ":delta": -delta, ":old": before.quota,
                      ":cd": before.distributed, ":need": before.distributed - delta}
        return {"Update": {"TableName": self.table_name, "Key": key, "UpdateExpression": update,
                           "ConditionExpression": condition, "ExpressionAttributeValues": to_item(values)}}

    @staticmethod
    def _guard(old: HeldRange) -> dict[str, Any]:
        used = "size(used_sequences) = :n" if old.used else "attribute_not_exists(used_sequences)"
        values: dict[str, Any] = {":f": {"N": str(old.first)}, ":l": {"N": str(old.last)}}
        if old.used:
            values[":n"] = {"N": str(len(old.used))}
        return {
            "ConditionExpression": f"attribute_exists(pk) AND #first = :f AND #last = :l AND {used}",
            "ExpressionAttributeNames": {"#first": "first", "#last": "last"},
            "ExpressionAttributeValues": values,
        }
