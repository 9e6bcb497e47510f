"""DynamoDB adapter: the storage design of the whole system, in one module.

Single table (``template.yaml`` → Table), string keys ``pk``/``sk`` and two GSIs:

=================================  ===================  ==========================================
pk                                 sk                   what / why
=================================  ===================  ==========================================
``ORG#{org_id}``                   ``ORG``              an organisation (团组织)
``MEMBER#{member_id}``             ``MEMBER``           a new member (新发展团员); member_id is a keyed
                                                        hash of the ID number, so this item's
                                                        existence is the ID number's uniqueness
``MEMBER#{member_id}``             ``ARCHIVE#{v:04d}``  one archive version (every version kept)
``MEMBER#{member_id}``             ``AUDIT#{at}#{n}``   audit entry (who, when, from, to, why)
``NUMBER#{member_number}``         ``CLAIM``            uniqueness of member numbers (发展团员编号)
``QUOTA#{year}#{domain}``          ``ORG#{org_id}``     quota / distributed / used / remaining
``ORG#{holder_id}``                ``SEGMENT#{y}#{d}#{first:06d}``  a number segment (号段) it holds
=================================  ===================  ==========================================

GSIs (both ProjectionType ALL):

* ``gsi1`` — ``CHILDREN#{parent_id}`` / ``{name}``: the children of an organisation
  (录入操作步骤 §二 管理下级组织), one Query; and ``MEMBERNAME#{root}#{name}`` /
  ``{branch_path_key}{member_id}``: members by name within a subtree (操作指引 §4.6).
* ``gsi2`` — ``TREE#{root_id}`` / ``ORG#{path_key}`` or ``MEMBER#{branch_path_key}{member_id}``:
  everything in a subtree with ``begins_with`` on the path (authorization and search by
  organisation subtree). ``path_key`` ends with "/", so "32/3201/" never matches "32/32010/".

Consistency: a GSI is eventually consistent, so **no uniqueness or bound is ever checked by
reading an index**. Uniqueness is a conditional put on a claim item whose key *is* the unique
value (``attribute_not_exists(pk)``); counters are conditional updates (condition
``remaining >= n``, then ``used += n, remaining -= n``).
A single-member registration writes member + number claim + counters + audit in one
TransactWriteItems, so a crash leaves all or nothing. Batch imports (which must not pay moto's
per-item transaction cost, DESIGN.md) claim with conditional puts whose owner is the member id,
so a retry recognises its own claims (idempotent) and compensates on failure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from zhtj.adapters.aws import ClientFactory
from zhtj.domain.errors import QuotaExceeded
from zhtj.domain.glossary import Domain, Industry, OrgKind
from zhtj.domain.numbers import Segment
from zhtj.domain.orgs import Organisation, path_key
from zhtj.services.errors import Conflict
from zhtj.services.follow_ups import DueFollowUp
from zhtj.services.members import HeldSegment, QuotaUse

GSI_CHILDREN = "gsi1"
GSI_TREE = "gsi2"
_BATCH_GET_LIMIT = 100


def org_key(org_id: str) -> dict[str, str]:
    return {"pk": f"ORG#{org_id}", "sk": "ORG"}


def member_key(member_id: str) -> dict[str, str]:
    return {"pk": f"MEMBER#{member_id}", "sk": "MEMBER"}


def number_claim_key(member_number: str) -> dict[str, str]:
    return {"pk": f"NUMBER#{member_number}", "sk": "CLAIM"}


def quota_key(year: int, domain: str, org_id: str) -> dict[str, str]:
    return {"pk": f"QUOTA#{year}#{domain}", "sk": f"ORG#{org_id}"}


def member_index_keys(member_id: str, name: str, branch_path: Sequence[str]) -> dict[str, str]:
    """The member item's GSI keys: by name within a subtree (gsi1) and under its branch's path
    (gsi2). Every writer of a member item (entry, import, transfer) uses these."""
    prefix = path_key(branch_path)
    return {"gsi1pk": f"MEMBERNAME#{branch_path[0]}#{name}", "gsi1sk": f"{prefix}{member_id}",
            "gsi2pk": f"TREE#{branch_path[0]}", "gsi2sk": f"MEMBER#{prefix}{member_id}"}


FOLLOW_UPS_PARTITION = "FOLLOWUPS"


def due_follow_up_keys(follow_up: DueFollowUp) -> dict[str, str]:
    """gsi1 keys of an item whose decision's follow-up (the outcome e-mails) is still due: a
    sparse list, by decision time, that the follow-up sweeper reads (zhtj.services.follow_ups).
    Written in the decision's own transaction, removed with ``followup_due`` when it is done."""
    if follow_up.link_hash is not None:
        ref = f"LINK#{follow_up.link_hash}"
    else:
        ref = f"ARCHIVE#{follow_up.member_id}#{follow_up.version}"
    return {"gsi1pk": FOLLOW_UPS_PARTITION, "gsi1sk": f"{follow_up.decided_at}#{ref}"}


def due_follow_up_of(sort_key: str) -> DueFollowUp:
    """The inverse of ``due_follow_up_keys`` for an item of the list."""
    decided_at, kind, ref = sort_key.split("#", 2)
    if kind == "LINK":
        return DueFollowUp(decided_at, link_hash=ref)
    member_id, version = ref.rsplit("#", 1)
    return DueFollowUp(decided_at, member_id=member_id, version=int(version))


def segment_key(holder_id: str, year: int, domain: str, first: int) -> dict[str, str]:
    return {"pk": f"ORG#{holder_id}", "sk": f"SEGMENT#{year}#{domain}#{first:06d}"}


# ---------------------------------------------------------------- (de)serialisation
def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _to_attr(value: Any) -> dict[str, Any]:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, list | tuple):
        return {"L": [_to_attr(v) for v in value]}
    if isinstance(value, dict):
        return {"M": {k: _to_attr(v) for k, v in value.items()}}
    raise TypeError(f"unsupported attribute type {type(value).__name__}")


def _from_attr(attr: Mapping[str, Any]) -> Any:
    (kind, value), = attr.items()
    if kind == "S":
        return value
    if kind == "N":
        return int(value) if value.lstrip("-").isdigit() else float(value)
    if kind == "BOOL":
        return value
    if kind == "NULL":
        return None
    if kind == "L":
        return [_from_attr(v) for v in value]
    if kind == "M":
        return {k: _from_attr(v) for k, v in value.items()}
    if kind == "NS":
        return {int(v) for v in value}
    if kind == "SS":
        return set(value)
    raise TypeError(f"unsupported attribute kind {kind}")


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _to_attr(v) for k, v in values.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _from_attr(v) for k, v in item.items()}


def _org_to_item(org: Organisation) -> dict[str, Any]:
    root = org.path[0]
    return to_item(
        {
            **org_key(org.org_id),
            "type": "org",
            "org_id": org.org_id,
            "name": org.name,
            "short_name": org.short_name,
            "kind": org.kind.value,
            "industry": org.industry.value if org.industry else None,
            "parent_id": org.parent_id,
            "path": list(org.path),
            "gsi1pk": f"CHILDREN#{org.parent_id}" if org.parent_id else None,
            "gsi1sk": org.name if org.parent_id else None,
            "gsi2pk": f"TREE#{root}",
            "gsi2sk": f"ORG#{path_key(org.path)}",
        }
    )


def _org_from_item(item: Mapping[str, Any]) -> Organisation:
    values = from_item(item)
    return Organisation(
        org_id=values["org_id"],
        name=values["name"],
        short_name=values["short_name"],
        kind=OrgKind(values["kind"]),
        parent_id=values.get("parent_id"),
        path=tuple(values["path"]),
        industry=Industry(values["industry"]) if values.get("industry") else None,
    )


class TableAdapter:
    """Base of every adapter of the one table: the boto3 client is asked of the ClientFactory
    on first use (never at import), ``_get`` is a consistent read by key and ``_update_if`` one
    conditional update."""

    def __init__(self, clients: ClientFactory, table_name: str) -> None:
        self._clients = clients
        self.table_name = table_name

    @property
    def client(self) -> Any:
        return self._clients.client("dynamodb")

    def _get(self, key: Mapping[str, str]) -> dict[str, Any] | None:
        result = self.client.get_item(TableName=self.table_name, Key=to_item(key), ConsistentRead=True)
        item = result.get("Item")
        return from_item(item) if item else None

    def _update_if(self, key: Mapping[str, str], update: str, condition: str, values: Mapping[str, Any]) -> bool:
        """One conditional UpdateItem; False when its condition does not hold."""
        client = self.client
        try:
            client.update_item(TableName=self.table_name, Key=to_item(key), UpdateExpression=update,
                               ConditionExpression=condition, ExpressionAttributeValues=to_item(dict(values)))
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True


class DynamoStore(TableAdapter):
    """The table. Implements the repositories' ports."""

    # ------------------------------------------------------------ organisations
    def get(self, org_id: str) -> Organisation | None:
        result = self.client.get_item(TableName=self.table_name, Key=to_item(org_key(org_id)))
        item = result.get("Item")
        return _org_from_item(item) if item else None

    def get_many(self, org_ids: Sequence[str]) -> dict[str, Organisation]:
        found: dict[str, Organisation] = {}
        unique = list(dict.fromkeys(org_ids))
        for start in range(0, len(unique), _BATCH_GET_LIMIT):
            keys = [to_item(org_key(i)) for i in unique[start : start + _BATCH_GET_LIMIT]]
            request: dict[str, Any] = {self.table_name: {"Keys": keys}}
            while request:
                result = self.client.batch_get_item(RequestItems=request)
                for item in result.get("Responses", {}).get(self.table_name, []):
                    org = _org_from_item(item)
                    found[org.org_id] = org
                request = result.get("UnprocessedKeys") or {}
        return found

    def children(self, parent_id: str) -> list[Organisation]:
        return [
            _org_from_item(item)
            for item in self._query(
                IndexName=GSI_CHILDREN,
                KeyConditionExpression="gsi1pk = :pk",
                ExpressionAttributeValues={":pk": _s(f"CHILDREN#{parent_id}")},
            )
        ]

    def subtree(self, org: Organisation) -> list[Organisation]:
        """Every organisation at or under ``org``."""
        return [
            _org_from_item(item)
            for item in self._query(
                IndexName=GSI_TREE,
                KeyConditionExpression="gsi2pk = :pk AND begins_with(gsi2sk, :prefix)",
                ExpressionAttributeValues={
                    ":pk": _s(f"TREE#{org.path[0]}"),
                    ":prefix": _s(f"ORG#{path_key(org.path)}"),
                },
            )
        ]

    def add(self, org: Organisation) -> None:
        client = self.client
        try:
            client.put_item(
                TableName=self.table_name,
                Item=_org_to_item(org),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except client.exceptions.ConditionalCheckFailedException:
            raise Conflict("org_exists", f"组织“{org.name}”已存在，请勿重复创建", field="name") from None

    def add_many(self, orgs: Iterable[Organisation]) -> int:
        """Unconditional bulk load (demo data, migrations): BatchWriteItem, 25 at a time."""
        requests = [{"PutRequest": {"Item": _org_to_item(o)}} for o in orgs]
        self._batch_write(requests)
        return len(requests)

    # ------------------------------------------------------------ uniqueness and counters
    def claim(self, key: Mapping[str, str], owner: str) -> bool:
        """Claim a unique value for ``owner``. True if the claim is now ``owner``'s (newly or
        already — a retry of the same owner is idempotent); False if another owner holds it."""
        client = self.client
        try:
            client.put_item(
                TableName=self.table_name,
                Item=to_item({**key, "type": "claim", "owner": owner}),
                ConditionExpression="attribute_not_exists(pk) OR #owner = :owner",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":owner": _s(owner)},
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release(self, key: Mapping[str, str], owner: str) -> None:
        """Undo a claim, only if ``owner`` still holds it (compensation after a failed row)."""
        client = self.client
        try:
            client.delete_item(
                TableName=self.table_name,
                Key=to_item(key),
                ConditionExpression="#owner = :owner",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":owner": _s(owner)},
            )
        except client.exceptions.ConditionalCheckFailedException:
            pass

    def claim_owner(self, key: Mapping[str, str]) -> str | None:
        result = self.client.get_item(TableName=self.table_name, Key=to_item(key), ConsistentRead=True)
        item = result.get("Item")
        return str(from_item(item)["owner"]) if item else None

    def set_quota(self, year: int, domain: str, org_id: str, quota: int) -> None:
        """Set a unit's quota, refusing to go below what is already used or distributed.

        DynamoDB conditions cannot do arithmetic, so the item keeps ``remaining`` (= quota −
        used) beside ``used``; every change keeps the two in step in one update."""
        client = self.client
        try:
            client.update_item(
                TableName=self.table_name,
                Key=to_item(quota_key(year, domain, org_id)),
                UpdateExpression="SET quota = :q, #type = :t, used = if_not_exists(used, :zero), "
                "distributed = if_not_exists(distributed, :zero), remaining = :q - if_not_exists(used, :zero)",
                ConditionExpression="attribute_not_exists(pk) OR (used <= :q AND distributed <= :q)",
                ExpressionAttributeNames={"#type": "type"},
                ExpressionAttributeValues=to_item({":q": quota, ":t": "quota", ":zero": 0}),
            )
        except client.exceptions.ConditionalCheckFailedException:
            raise QuotaExceeded(
                "quota_below_usage", f"{year}年{domain}名额不能少于已使用或已分配的数量", field="quota"
            ) from None

    def get_quota(self, year: int, domain: str, org_id: str) -> dict[str, int] | None:
        result = self.client.get_item(
            TableName=self.table_name, Key=to_item(quota_key(year, domain, org_id)), ConsistentRead=True
        )
        item = result.get("Item")
        if not item:
            return None
        values = from_item(item)
        return {k: int(values.get(k, 0)) for k in ("quota", "distributed", "used")}

    def use_quota(self, change: QuotaUse) -> None:
        """``used += delta`` only while ``delta <= remaining`` — atomic under any concurrency.
        A negative delta gives numbers back (never below zero)."""
        client = self.client
        try:
            client.update_item(**self._use_quota_update(change))
        except client.exceptions.ConditionalCheckFailedException:
            raise QuotaExceeded(
                "quota_exceeded",
                f"{change.year}年{change.domain}领域的发展团员计划名额已用完，不得超计划发展（通知 三.2）",
            ) from None

    def _use_quota_update(self, change: QuotaUse) -> dict[str, Any]:
        if change.delta >= 0:
            condition, values = "remaining >= :d", {":d": change.delta}
            update = "SET used = used + :d, remaining = remaining - :d"
        else:
            condition, values = "used >= :d", {":d": -change.delta}
            update = "SET used = used - :d, remaining = remaining + :d"
        return {
            "TableName": self.table_name,
            "Key": to_item(quota_key(change.year, change.domain, change.org_id)),
            "UpdateExpression": update,
            "ConditionExpression": f"attribute_exists(pk) AND {condition}",
            "ExpressionAttributeValues": to_item(values),
        }

    def register_member(self, member: Mapping[str, Any], *, member_number: str, counters: Sequence[QuotaUse],
                        segment: HeldSegment | None = None) -> None:
        """Store one new member atomically in one TransactWriteItems: the member item (its key
        is the keyed hash of the ID number, so ``attribute_not_exists`` *is* the ID number's
        uniqueness), the member-number claim, the held segment's record of used sequences
        (conditional on the segment still being held with the number inside it, so a
        concurrent redistribution can never strand the number), one quota counter per holder
        in the ancestry, and the audit entry. Any failed condition cancels everything; the
        cancellation reasons say which rule failed."""
        member_id = str(member["member_id"])
        branch_path = [str(p) for p in member["branch_path"]]
        member_values = {**member_key(member_id), "type": "member", **member,
                         **member_index_keys(member_id, str(member["name"]), branch_path)}
        audit = {
            "pk": f"MEMBER#{member_id}", "sk": f"AUDIT#{member['created_at']}#created", "type": "audit",
            "action": "created", "actor": member.get("created_by"), "at": member["created_at"],
            "via": member.get("created_via"), "to_state": member.get("archive_state"),
        }
        not_exists = "attribute_not_exists(pk)"
        items: list[dict[str, Any]] = [
            {"Put": {"TableName": self.table_name, "Item": to_item(member_values), "ConditionExpression": not_exists}},
            {"Put": {"TableName": self.table_name, "ConditionExpression": not_exists,
                     "Item": to_item({**number_claim_key(member_number), "type": "claim", "owner": member_id})}},
            *({"Update": self._use_quota_update(c)} for c in counters),
            {"Put": {"TableName": self.table_name, "Item": to_item(audit)}},
        ]
        kinds = ["member", "number", *(["quota"] * len(counters)), "audit"]
        if segment is not None:
            sequence = int(member_number[-6:])
            items.append({"Update": self.segment_use_update(segment, [sequence])})
            kinds.append("segment")
        client = self.client
        try:
            client.transact_write_items(TransactItems=items)
        except client.exceptions.TransactionCanceledException as exc:
            reasons = exc.response.get("CancellationReasons", [])
            failed = [kinds[i] for i, r in enumerate(reasons) if r.get("Code") == "ConditionalCheckFailed"]
            raise _registration_error(failed) from None

    # ------------------------------------------------------------ segments
    def add_segment(self, holder_id: str, segment: Segment) -> None:
        """Record that ``holder_id`` holds ``segment`` (its numbers may be used in its subtree)."""
        client = self.client
        try:
            client.put_item(
                TableName=self.table_name,
                Item=to_item({**segment_key(holder_id, segment.year, segment.domain.value, segment.first),
                              "type": "segment", "holder_id": holder_id, "year": segment.year,
                              "domain": segment.domain.value, "province_code": segment.province_code,
                              "first": segment.first, "last": segment.last}),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except client.exceptions.ConditionalCheckFailedException:
            raise Conflict("segment_exists", f"号段 {segment} 已分配，请勿重复分配") from None

    def load_plan(self, quotas: Iterable[tuple[str, int, str, int, int]],
                  segments: Iterable[tuple[str, Segment]]) -> int:
        """Bulk load of a computed plan (demo data, the published allocation table):
        ``quotas`` as (org_id, year, domain, quota, distributed) and held segments, with
        BatchWriteItem. Only for a fresh year: it does not check existing usage."""
        requests = [
            {"PutRequest": {"Item": to_item({**quota_key(year, domain, org_id), "type": "quota", "quota": quota,
                                             "used": 0, "remaining": quota, "distributed": distributed})}}
            for org_id, year, domain, quota, distributed in quotas
        ]
        requests += [
            {"PutRequest": {"Item": to_item({**segment_key(holder, seg.year, seg.domain.value, seg.first),
                                             "type": "segment", "holder_id": holder, "year": seg.year,
                                             "domain": seg.domain.value, "province_code": seg.province_code,
                                             "first": seg.first, "last": seg.last})}}
            for holder, seg in segments
        ]
        self._batch_write(requests)
        return len(requests)

    def segment_use_update(self, held: HeldSegment, sequences: Sequence[int]) -> dict[str, Any]:
        """Record ``sequences`` as used in a held segment, only while that holder still holds
        a segment starting there that contains every one of them."""
        seg = held.segment
        return {
            "TableName": self.table_name,
            "Key": to_item(segment_key(held.holder_id, seg.year, seg.domain.value, seg.first)),
            "UpdateExpression": "ADD used_sequences :used",
            "ConditionExpression": "attribute_exists(pk) AND #last >= :high AND #first <= :low",
            "ExpressionAttributeNames": {"#first": "first", "#last": "last"},
            "ExpressionAttributeValues": {":used": {"NS": [str(n) for n in sorted(set(sequences))]},
                                          ":high": {"N": str(max(sequences))}, ":low": {"N": str(min(sequences))}},
        }

    def segments_of(self, org_ids: Sequence[str], year: int, domain: str) -> list[HeldSegment]:
        """Segments held by any of ``org_ids`` for (year, domain): one Query per organisation
        (an ancestry has at most six)."""
        held: list[HeldSegment] = []
        for org_id in org_ids:
            for item in self._query(
                KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
                ExpressionAttributeValues={":pk": _s(f"ORG#{org_id}"), ":prefix": _s(f"SEGMENT#{year}#{domain}#")},
            ):
                values = from_item(item)
                held.append(HeldSegment(values["holder_id"], Segment(
                    year=int(values["year"]), domain=Domain(values["domain"]), province_code=values["province_code"],
                    first=int(values["first"]), last=int(values["last"]))))
        return held

    def quota_holders(self, org_ids: Sequence[str], year: int, domain: str) -> list[str]:
        """Which of ``org_ids`` hold a quota item for (year, domain) — every one of them counts
        the new member (a unit never exceeds its plan, notice §三.2)."""
        keys = [to_item(quota_key(year, domain, org_id)) for org_id in dict.fromkeys(org_ids)]
        found: set[str] = set()
        request: dict[str, Any] = {self.table_name: {"Keys": keys, "ConsistentRead": True,
                                                     "ProjectionExpression": "sk"}}
        while request:
            result = self.client.batch_get_item(RequestItems=request)
            for item in result.get("Responses", {}).get(self.table_name, []):
                found.add(item["sk"]["S"].removeprefix("ORG#"))
            request = result.get("UnprocessedKeys") or {}
        return [org_id for org_id in org_ids if org_id in found]

    def get_member(self, member_id: str) -> dict[str, Any] | None:
        result = self.client.get_item(TableName=self.table_name, Key=to_item(member_key(member_id)))
        item = result.get("Item")
        return from_item(item) if item else None

    def member_by_number(self, member_number: str) -> dict[str, Any] | None:
        owner = self.claim_owner(number_claim_key(member_number))
        return self.get_member(owner) if owner else None

    def members_named(self, org: Organisation, name: str) -> list[dict[str, Any]]:
        return [from_item(i) for i in self._query(
            IndexName=GSI_CHILDREN,
            KeyConditionExpression="gsi1pk = :pk AND begins_with(gsi1sk, :prefix)",
            ExpressionAttributeValues={":pk": _s(f"MEMBERNAME#{org.path[0]}#{name}"),
                                       ":prefix": _s(path_key(org.path))},
        )]

    def members_under(self, org: Organisation, *, limit: int = 50,
                      after: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
        """One page of the members in ``org``'s subtree, in path order; ``after`` continues."""
        kwargs: dict[str, Any] = {
            "TableName": self.table_name, "IndexName": GSI_TREE, "Limit": limit,
            "KeyConditionExpression": "gsi2pk = :pk AND begins_with(gsi2sk, :prefix)",
            "ExpressionAttributeValues": {":pk": _s(f"TREE#{org.path[0]}"),
                                          ":prefix": _s(f"MEMBER#{path_key(org.path)}")},
        }
        if after:
            member = self.get_member(after)
            if member:
                kwargs["ExclusiveStartKey"] = to_item({
                    **member_key(after), "gsi2pk": f"TREE#{org.path[0]}",
                    "gsi2sk": f"MEMBER#{path_key(member['branch_path'])}{after}"})
        result = self.client.query(**kwargs)
        items = [from_item(i) for i in result.get("Items", [])]
        last = result.get("LastEvaluatedKey")
        return items, (from_item(last)["pk"].removeprefix("MEMBER#") if last else None)

    # ------------------------------------------------------------ health
    def check(self) -> dict[str, str]:
        try:
            self.client.get_item(TableName=self.table_name, Key=to_item(org_key("__health__")))
        except Exception as exc:  # report, never raise, from a health probe
            return {"table": f"error: {type(exc).__name__}"}
        return {"table": "ok"}

    # ------------------------------------------------------------ helpers
    def _query(self, **kwargs: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            result = self.client.query(TableName=self.table_name, **kwargs)
            items.extend(result.get("Items", []))
            if "LastEvaluatedKey" not in result:
                return items
            kwargs["ExclusiveStartKey"] = result["LastEvaluatedKey"]

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {self.table_name: requests[start : start + 25]}
            while pending:
                result = self.client.batch_write_item(RequestItems=pending)
                pending = result.get("UnprocessedItems") or {}


def _registration_error(failed: Sequence[str]) -> Exception:
    if "member" in failed:
        return Conflict("member_exists", "该团员已录入，请勿重复提交")
    if "id" in failed:
        return Conflict("id_registered", "该身份证号码已在系统中登记，同一身份证号码只能登记一次", field="身份证号码")
    if "number" in failed:
        return Conflict("number_used", "该发展团员编号已被使用，每个编号只能使用一次", field="发展团员编号")
    if "quota" in failed:
        return QuotaExceeded("quota_exceeded", "发展团员计划名额已用完，不得超计划发展（通知 三.2）")
    if "segment" in failed:
        return Conflict("segment_changed", "该编号所在号段刚刚被重新分配，请刷新后核对编号再提交", field="发展团员编号")
    return Conflict("registration_conflict", "登记未完成，请刷新后重试")
