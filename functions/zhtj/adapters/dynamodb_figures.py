"""DynamoDB adapter for the progress figures (the same single table; key helpers and
(de)serialisation come from ``zhtj.adapters.dynamodb``).

=================================  ==================  ===============================================
pk                                 sk                  what
=================================  ==================  ===============================================
``FIGURES#{year}#{domain}``        ``ORG#{org_id}``    the member counters of one organisation's
                                                       subtree (``zhtj.domain.figures.COUNTER_NAMES``),
                                                       maintained by the stream consumer only
``STREAMSEQ#{member_id}``          ``FIGURES``         the last stream sequence number applied for
                                                       that member item (zero-padded to 40 digits),
                                                       with a TTL of two days (streams keep 24 h)
``YOUTH#{year}#{domain}``          ``ORG#{org_id}``    the youth figures given at allocation
                                                       (``zhtj.domain.allocation.DomainFigures``)
=================================  ==================  ===============================================

A figures query reads counters, quota items and youth items by key (BatchGetItem): its cost
depends on the number of organisations asked about, never on the number of members.

**Exactly once.** :meth:`DynamoFigures.apply` writes one chunk of a stream batch — the summed
counter deltas and, for every member in the chunk, its watermark — in one TransactWriteItems.
Each watermark update is conditioned on the stored sequence being lower than the chunk's first
record of that member, so a chunk applied before (a retried or duplicated batch) fails as a
whole and changes nothing. Why per member rather than per shard: a Lambda stream event does not
say which shard it came from, while DynamoDB does guarantee that the records of one item arrive
in order in one shard (and a child shard after its parent).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from zhtj.adapters.dynamodb import TableAdapter, from_item, quota_key, to_item
from zhtj.domain.allocation import FIGURE_FIELDS, DomainFigures
from zhtj.domain.figures import COUNTER_NAMES, CounterKey
from zhtj.services.figures import WatermarkConflict

SEQUENCE_DIGITS = 40  # DynamoDB stream sequence numbers are 21–40 digits
WATERMARK_TTL_S = 2 * 24 * 3600
TRANSACTION_LIMIT = 100
_BATCH_GET_LIMIT = 100


def counter_key(year: int, domain: str, org_id: str) -> dict[str, str]:
    return {"pk": f"FIGURES#{year}#{domain}", "sk": f"ORG#{org_id}"}


def watermark_key(member_id: str) -> dict[str, str]:
    return {"pk": f"STREAMSEQ#{member_id}", "sk": "FIGURES"}


def youth_key(year: int, domain: str, org_id: str) -> dict[str, str]:
    return {"pk": f"YOUTH#{year}#{domain}", "sk": f"ORG#{org_id}"}


def padded(sequence: str) -> str:
    return sequence.zfill(SEQUENCE_DIGITS)


class DynamoFigures(TableAdapter):

    # ------------------------------------------------------------ stream consumer
    def watermarks(self, member_ids: Sequence[str]) -> dict[str, str]:
        """The last applied (padded) sequence per member, read consistently."""
        found: dict[str, str] = {}
        for item in self._batch_get([watermark_key(m) for m in dict.fromkeys(member_ids)], consistent=True):
            found[str(item["pk"]).removeprefix("STREAMSEQ#")] = str(item["seq"])
        return found

    def apply(self, deltas: Mapping[CounterKey, Mapping[str, int]], marks: Mapping[str, tuple[str, str]],
              *, expires_at: int) -> None:
        """One TransactWriteItems: ``ADD`` every counter delta, and move each member's watermark
        from below ``first`` to ``last`` (padded sequences). Raises WatermarkConflict when a
        watermark shows the chunk (or part of it) applied already; other cancellations (e.g. a
        TransactionConflict with a concurrent shard's batch) propagate, and the batch is retried."""
        items: list[dict[str, Any]] = []
        for (year, domain, org_id), counters in deltas.items():
            if not counters:
                continue
            names = {f"#c{i}": name for i, name in enumerate(counters)}
            values: dict[str, Any] = {f":c{i}": value for i, value in enumerate(counters.values())}
            adds = ", ".join(f"#c{i} :c{i}" for i in range(len(counters)))
            values.update({":type": "figures", ":year": year, ":domain": domain, ":org": org_id})
            items.append({"Update": {
                "TableName": self.table_name, "Key": to_item(counter_key(year, domain, org_id)),
                "UpdateExpression": f"SET #type = :type, #year = :year, #domain = :domain, org_id = :org ADD {adds}",
                "ExpressionAttributeNames": {**names, "#type": "type", "#year": "year", "#domain": "domain"},
                "ExpressionAttributeValues": to_item(values),
            }})
        first_mark = len(items)
        for member_id, (first, last) in marks.items():
            # A Put, not an Update: the watermark item is wholly determined, DynamoDB bills
            # both alike, and the embedded one parses no update expression for it.
            items.append({"Put": {
                "TableName": self.table_name,
                "Item": to_item({**watermark_key(member_id), "seq": last, "expires_at": expires_at,
                                 "type": "stream_watermark"}),
                "ConditionExpression": "attribute_not_exists(seq) OR seq < :first",
                "ExpressionAttributeValues": to_item({":first": first}),
            }})
        if not items:
            return
        if len(items) > TRANSACTION_LIMIT:
            raise ValueError(f"{len(items)} items exceed one transaction")
        client = self.client
        try:
            client.transact_write_items(TransactItems=items)
        except client.exceptions.TransactionCanceledException as exc:
            reasons = exc.response.get("CancellationReasons", [])
            if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons[first_mark:]):
                raise WatermarkConflict() from None
            raise

    # ------------------------------------------------------------ queries (by key only)
    def counters(self, keys: Sequence[CounterKey]) -> dict[CounterKey, dict[str, int]]:
        found: dict[CounterKey, dict[str, int]] = {}
        for item in self._batch_get([counter_key(*k) for k in dict.fromkeys(keys)]):
            key = (int(item["year"]), str(item["domain"]), str(item["org_id"]))
            found[key] = {name: int(item.get(name) or 0) for name in COUNTER_NAMES}
        return found

    def quotas(self, org_ids: Sequence[str], year: int,
               domains: Sequence[str]) -> dict[tuple[str, str], dict[str, int]]:
        """(org_id, domain) → quota, used, distributed of the quota items that exist."""
        keys = [quota_key(year, d, o) for o in dict.fromkeys(org_ids) for d in domains]
        found: dict[tuple[str, str], dict[str, int]] = {}
        for item in self._batch_get(keys):
            domain = str(item["pk"]).split("#", 2)[2]
            found[(str(item["sk"]).removeprefix("ORG#"), domain)] = {
                k: int(item.get(k) or 0) for k in ("quota", "used", "distributed")}
        return found

    def youth(self, org_ids: Sequence[str], year: int, domains: Sequence[str]) -> dict[tuple[str, str], DomainFigures]:
        keys = [youth_key(year, d, o) for o in dict.fromkeys(org_ids) for d in domains]
        found: dict[tuple[str, str], DomainFigures] = {}
        for item in self._batch_get(keys):
            found[(str(item["org_id"]), str(item["domain"]))] = DomainFigures(
                **{f: int(item.get(f) or 0) for f in FIGURE_FIELDS})
        return found

    def put_youth(self, entries: Sequence[tuple[int, str, str, DomainFigures]]) -> int:
        """Record youth figures as given at allocation: (year, domain, org_id, figures)."""
        requests = [{"PutRequest": {"Item": to_item({**youth_key(y, d, o), "type": "youth", "year": y,
                                                     "domain": d, "org_id": o, **asdict(f)})}}
                    for y, d, o, f in entries]
        self._batch_write(requests)
        return len(requests)

    # ------------------------------------------------------------ recount (the repair tool)
    def scan_members(self, year: int | None = None) -> Iterator[dict[str, Any]]:
        """Every member item (a paginated Scan: the repair tool's price, never a query's)."""
        condition = "sk = :sk AND begins_with(pk, :pk)"
        values: dict[str, Any] = {":sk": "MEMBER", ":pk": "MEMBER#"}
        if year is not None:
            condition += " AND join_year = :y"
            values[":y"] = year
        yield from self._scan(condition, values)

    def scan_counters(self, year: int | None = None) -> Iterator[tuple[CounterKey, dict[str, int]]]:
        prefix = f"FIGURES#{year}#" if year is not None else "FIGURES#"
        for item in self._scan("begins_with(pk, :pk)", {":pk": prefix}):
            key = (int(item["year"]), str(item["domain"]), str(item["org_id"]))
            yield key, {name: int(item.get(name) or 0) for name in COUNTER_NAMES}

    def write_counters(self, values: Mapping[CounterKey, Mapping[str, int]]) -> int:
        """Replace counter items with recomputed values (BatchWriteItem; the consumer must not
        run meanwhile — see ``zhtj recount``)."""
        requests = [{"PutRequest": {"Item": to_item({**counter_key(y, d, o), "type": "figures", "year": y,
                                                     "domain": d, "org_id": o, **dict(c)})}}
                    for (y, d, o), c in values.items()]
        self._batch_write(requests)
        return len(requests)

    # ------------------------------------------------------------ helpers
    def _batch_get(self, keys: Sequence[Mapping[str, str]], *, consistent: bool = False) -> Iterator[dict[str, Any]]:
        for start in range(0, len(keys), _BATCH_GET_LIMIT):
            request: dict[str, Any] = {self.table_name: {
                "Keys": [to_item(k) for k in keys[start:start + _BATCH_GET_LIMIT]], "ConsistentRead": consistent}}
            while request:
                result = self.client.batch_get_item(RequestItems=request)
                for item in result.get("Responses", {}).get(self.table_name, []):
                    yield from_item(item)
                request = result.get("UnprocessedKeys") or {}

    def _scan(self, condition: str, values: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        kwargs: dict[str, Any] = {"TableName": self.table_name, "FilterExpression": condition,
                                  "ExpressionAttributeValues": to_item(values), "ConsistentRead": True}
        while True:
            result = self.client.scan(**kwargs)
            for item in result.get("Items", []):
                yield from_item(item)
            if "LastEvaluatedKey" not in result:
                return
            kwargs["ExclusiveStartKey"] = result["LastEvaluatedKey"]

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {self.table_name: requests[start:start + 25]}
            while pending:
                result = self.client.batch_write_item(RequestItems=pending)
                pending = result.get("UnprocessedItems") or {}
