"""DynamoDB adapter for batch imports (录入操作步骤 §二–§三): import jobs, their per-chunk
outcomes, and the import's own writes — the same single table and member/claim/quota/segment
items as ``zhtj.adapters.dynamodb`` (whose key helpers and (de)serialisation it reuses).

Items of a job (partition ``IMPORT#{job_id}``, removed by the table's TTL after 30 days):

===========================  ===================================================================
sk                           what
===========================  ===================================================================
``JOB``                      who, which organisation, template, status, rows total/done, counts,
                             the lease of the worker that runs it, ``next_chunk`` (every chunk
                             before it is settled), the result and the report's S3 key
``CHUNK#{k:05d}``            the fixed outcome of chunk *k*: rows imported, rows failed with their
                             reason, and per quota group the reservation token, granted and used
===========================  ===================================================================

**Why no TransactWriteItems on the hot path.** Each imported member needs two unique values
guarded — the ID number (the member item's own key is its keyed hash) and the development
number (the ``NUMBER#`` claim) — and both are conditional PutItems whose *owner* is recognised
on a retry: the member carries ``import_job`` (condition ``attribute_not_exists(pk) OR
import_job = :job``) and the claim's owner is the member id (``attribute_not_exists(pk) OR
owner = :member``). Quota is reserved in bulk, once per chunk and quota holder, by a conditional
UpdateItem that sets a *reservation token* attribute on the quota item in the same update as the
counter (``remaining >= :n AND attribute_not_exists(token)``): the counter change and its record
are one atomic single-item write, so a retry finds the token and never counts twice; settling
releases what failed rows did not use and removes the token in one conditional update. The
segment's ``used_sequences`` get one ``ADD`` per chunk, the audit entries one BatchWriteItem per
25 members.

**Counting.** Every request goes through :class:`CountingClient`, which counts requests per
operation and the write units DynamoDB would bill for them (computed from item sizes by
DynamoDB's rules: 1 unit per started KB per item write, once for the table and once per GSI the
item is in; a failed conditional write still costs its table write). The counts are the
machine-independent cost that ``bench/bench_import_full.py`` prints and each job records. Tests
arm :meth:`RequestCounter.crash_after` to make the *k*-th write raise, as a worker dying mid-import.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from zhtj.adapters.aws import ClientFactory
from zhtj.adapters.dynamodb import (
    DynamoStore,
    TableAdapter,
    _org_to_item,  # the organisation item's one layout (gsi keys included), not a copy of it
    from_item,
    member_index_keys,
    member_key,
    number_claim_key,
    quota_key,
    to_item,
)
from zhtj.domain.orgs import Organisation
from zhtj.services.members import HeldSegment

_BATCH_GET = 100
_BATCH_WRITE = 25
_GSI_KEYS = (("gsi1pk", "gsi1sk"), ("gsi2pk", "gsi2sk"))
WRITE_OPERATIONS = frozenset({"put_item", "update_item", "delete_item", "batch_write_item", "transact_write_items"})
READ_OPERATIONS = frozenset({"get_item", "batch_get_item", "query", "scan"})


def job_key(job_id: str) -> dict[str, str]:
    return {"pk": f"IMPORT#{job_id}", "sk": "JOB"}


def chunk_key(job_id: str, chunk: int) -> dict[str, str]:
    return {"pk": f"IMPORT#{job_id}", "sk": f"CHUNK#{chunk:05d}"}


class SimulatedCrash(RuntimeError):
    """Raised by an armed RequestCounter in place of a write (tests: the worker dies here)."""


class LeaseHeld(RuntimeError):
    """Another worker runs this job right now; the event is retried later."""


class LeaseLost(RuntimeError):
    """This worker no longer holds the job's lease (it expired and another took over)."""


# ---------------------------------------------------------------- sizes and units
def attribute_size(value: Mapping[str, Any]) -> int:
    """Bytes of one attribute value in DynamoDB's item-size accounting."""
    (kind, inner), = value.items()
    if kind == "S":
        return len(str(inner).encode())
    if kind == "N":
        return math.ceil(len(str(inner).lstrip("-").replace(".", "")) / 2) + 1
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in inner)
    if kind == "NS":
        return sum(math.ceil(len(n) / 2) + 1 for n in inner)
    if kind == "L":
        return 3 + sum(1 + attribute_size(v) for v in inner)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + attribute_size(v) for k, v in inner.items())
    return 0


def item_size(item: Mapping[str, Any]) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


def write_units(item: Mapping[str, Any] | None, *, written: bool = True) -> int:
    """Units to write ``item``: one per started KB for the table, and again for each GSI the
    item is in (both GSIs project ALL). A failed conditional write costs the table write only."""
    if not item:
        return 1
    units = max(1, math.ceil(item_size(item) / 1024))
    if not written:
        return units
    indexes = sum(1 for pk, sk in _GSI_KEYS if pk in item and sk in item)
    return units * (1 + indexes)


def read_units(items: Iterable[Mapping[str, Any]], *, consistent: bool) -> float:
    total = sum(max(1, math.ceil(item_size(i) / 4096)) for i in items) or 1
    return float(total if consistent else total / 2)


@dataclass
class RequestCounter:
    """Requests per DynamoDB operation and the write/read units they cost (thread-safe)."""

    requests: Counter[str] = field(default_factory=Counter)
    write_units: int = 0
    read_units: float = 0.0
    writes: int = 0
    _crash_at: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def crash_after(self, writes: int) -> None:
        """The write after the first ``writes`` writes raises SimulatedCrash (once)."""
        with self._lock:
            self._crash_at = self.writes + writes

    def before(self, operation: str) -> None:
        if operation not in WRITE_OPERATIONS:
            return
        with self._lock:
            if self._crash_at is not None and self.writes >= self._crash_at:
                self._crash_at = None
                raise SimulatedCrash(f"simulated crash before write #{self.writes + 1} ({operation})")
            self.writes += 1

    def record(self, operation: str, *, units: int = 0, reads: float = 0.0) -> None:
        with self._lock:
            self.requests[operation] += 1
            self.write_units += units
            self.read_units += reads

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    @property
    def write_requests(self) -> int:
        return sum(n for op, n in self.requests.items() if op in WRITE_OPERATIONS)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"requests": dict(self.requests), "total_requests": sum(self.requests.values()),
                    "write_units": self.write_units, "read_units": round(self.read_units, 1)}


class CountingClient:
    """A DynamoDB client that counts what it sends (not a mock: every call reaches the real
    client). Write units are computed from the items the request carries or, for updates and
    deletes, from the item DynamoDB returns (the adapter asks for ``ALL_NEW``/``ALL_OLD``)."""

    def __init__(self, client: Any, counter: RequestCounter) -> None:
        self._client = client
        self.counter = counter

    @property
    def exceptions(self) -> Any:
        return self._client.exceptions

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._client, name)
        if name not in WRITE_OPERATIONS and name not in READ_OPERATIONS:
            return target

        def counted(**kwargs: Any) -> Any:
            self.counter.before(name)
            try:
                response = target(**kwargs)
            except self._client.exceptions.ConditionalCheckFailedException:
                self.counter.record(name, units=write_units(kwargs.get("Item"), written=False))
                raise
            self.counter.record(name, units=_units_of(name, kwargs, response),
                                reads=_reads_of(name, kwargs, response))
            return response

        return counted


def _units_of(operation: str, request: Mapping[str, Any], response: Mapping[str, Any]) -> int:
    if operation == "put_item":
        return write_units(request["Item"])
    if operation in ("update_item", "delete_item"):
        return write_units(response.get("Attributes"))
    if operation == "batch_write_item":
        return sum(write_units(entry["PutRequest"]["Item"]) if "PutRequest" in entry else 1
                   for entries in request["RequestItems"].values() for entry in entries)
    if operation == "transact_write_items":
        return 2 * len(request["TransactItems"])  # transactions bill two units per item (at least)
    return 0


def _reads_of(operation: str, request: Mapping[str, Any], response: Mapping[str, Any]) -> float:
    if operation == "get_item":
        return read_units([response.get("Item") or {}], consistent=bool(request.get("ConsistentRead")))
    if operation == "batch_get_item":
        items = [i for found in response.get("Responses", {}).values() for i in found]
        consistent = any(spec.get("ConsistentRead") for spec in request["RequestItems"].values())
        return read_units(items, consistent=consistent)
    if operation in ("query", "scan"):
        return read_units(response.get("Items", []), consistent=bool(request.get("ConsistentRead")))
    return 0.0


class CountingClients:
    """A ClientFactory look-alike handing out the counting DynamoDB client (so the shared
    DynamoStore's reads — segments, quota holders, the subtree — are counted too)."""

    def __init__(self, clients: ClientFactory, counter: RequestCounter) -> None:
        self._clients = clients
        self._counting: CountingClient | None = None
        self._counter = counter
        self._lock = threading.Lock()

    def client(self, service: str) -> Any:
        if service != "dynamodb":
            return self._clients.client(service)
        with self._lock:
            if self._counting is None:
                self._counting = CountingClient(self._clients.client("dynamodb"), self._counter)
            return self._counting


# ---------------------------------------------------------------- the store
@dataclass(frozen=True)
class ExistingMember:
    import_job: str | None
    member_number: str | None


@dataclass(frozen=True)
class ExistingClaim:
    owner: str


class DynamoImportStore(TableAdapter):
    """Implements ``zhtj.services.imports.ImportLedger`` (and the job store of
    ``zhtj.services.import_jobs``). ``tree`` is the shared DynamoStore over the same counted
    client: organisations, segments and quota holders are read through it."""

    def __init__(self, clients: ClientFactory, table_name: str, counter: RequestCounter | None = None) -> None:
        self.counter = counter or RequestCounter()
        super().__init__(CountingClients(clients, self.counter), table_name)  # type: ignore[arg-type]
        self.tree = DynamoStore(self._clients, table_name)
        self._reported = (0, 0)

    # ------------------------------------------------------------ jobs
    def create_job(self, job: Mapping[str, Any]) -> None:
        self.client.put_item(TableName=self.table_name, Item=to_item({**job_key(str(job["job_id"])), "type": "import",
                                                                      **job}),
                             ConditionExpression="attribute_not_exists(pk)")

    def get_job(self, job_id: str) -> dict[str, Any] | None:
        result = self.client.get_item(TableName=self.table_name, Key=to_item(job_key(job_id)), ConsistentRead=True)
        item = result.get("Item")
        return from_item(item) if item else None

    def start_job(self, job_id: str, *, version_id: str | None, worker: str, now: str, lease_until: str,
                  active: Sequence[str]) -> dict[str, Any] | None:
        """Take the job's lease (free, expired or already ours) and pin the object version
        it processes. None when the condition fails: the caller reads the job to see why."""
        names = {"#status": "status", "#owner": "lease_owner", "#until": "lease_until",
                 "#version": "source_version_id", "#started": "started_at"}
        values: dict[str, Any] = {":w": worker, ":now": now, ":until": lease_until}
        status_ok = " OR ".join(f"#status = :s{i}" for i in range(len(active)))
        values.update({f":s{i}": s for i, s in enumerate(active)})
        condition = (f"attribute_exists(pk) AND ({status_ok}) AND "
                     "(attribute_not_exists(#until) OR #until < :now OR #owner = :w)")
        update = "SET #owner = :w, #until = :until, #started = if_not_exists(#started, :now)"
        if version_id:
            values[":v"] = version_id
            condition += " AND (attribute_not_exists(#version) OR #version = :v)"
            update += ", #version = if_not_exists(#version, :v)"
        client = self.client
        try:
            result = client.update_item(TableName=self.table_name, Key=to_item(job_key(job_id)),
                                        UpdateExpression=update, ConditionExpression=condition,
                                        ExpressionAttributeNames=names, ExpressionAttributeValues=to_item(values),
                                        ReturnValues="ALL_NEW")
        except client.exceptions.ConditionalCheckFailedException:
            return None
        return from_item(result["Attributes"])

    def update_job(self, job_id: str, values: Mapping[str, Any], *, worker: str) -> None:
        """Set attributes while holding the lease (LeaseLost otherwise)."""
        names = {f"#a{i}": k for i, k in enumerate(values)}
        placeholders = {f":a{i}": v for i, v in enumerate(values.values())}
        sets = [f"#a{i} = :a{i}" for i in range(len(values)) if placeholders[f":a{i}"] is not None]
        removes = [f"#a{i}" for i in range(len(values)) if placeholders[f":a{i}"] is None]
        expression = ("SET " + ", ".join(sets) if sets else "") + (" REMOVE " + ", ".join(removes) if removes else "")
        names["#owner"] = "lease_owner"
        placeholders = {k: v for k, v in placeholders.items() if v is not None}
        client = self.client
        try:
            client.update_item(TableName=self.table_name, Key=to_item(job_key(job_id)),
                               UpdateExpression=expression.strip(), ConditionExpression="#owner = :w",
                               ExpressionAttributeNames=names,
                               ExpressionAttributeValues=to_item({**placeholders, ":w": worker}),
                               ReturnValues="ALL_NEW")
        except client.exceptions.ConditionalCheckFailedException:
            raise LeaseLost(job_id) from None

    def advance_job(self, job_id: str, chunk: int, *, rows_done: int, imported: int, failed: int, worker: str,
                    lease_until: str, cost: Mapping[str, int]) -> None:
        """Mark chunk ``chunk`` done (``next_chunk = chunk + 1``) and renew the lease. Idempotent:
        a job already past the chunk is left as it is."""
        client = self.client
        try:
            client.update_item(
                TableName=self.table_name, Key=to_item(job_key(job_id)),
                UpdateExpression="SET next_chunk = :next, rows_done = :done, imported = imported + :imp, "
                                 "failed = failed + :fail, lease_until = :until "
                                 "ADD requests :req, write_units :wu",
                ConditionExpression="next_chunk = :k AND lease_owner = :w",
                ExpressionAttributeValues=to_item({":next": chunk + 1, ":done": rows_done, ":imp": imported,
                                                   ":fail": failed, ":until": lease_until, ":k": chunk, ":w": worker,
                                                   ":req": int(cost.get("requests", 0)),
                                                   ":wu": int(cost.get("write_units", 0))}),
                ReturnValues="ALL_NEW")
        except client.exceptions.ConditionalCheckFailedException:
            job = self.get_job(job_id) or {}
            if int(job.get("next_chunk", 0)) > chunk:
                return
            raise LeaseLost(job_id) from None

    def finish_job(self, job_id: str, values: Mapping[str, Any], *, worker: str, cost: Mapping[str, int]) -> bool:
        """Record the result and give the lease back; False when the job was finished already."""
        names = {f"#a{i}": k for i, k in enumerate(values)}
        placeholders = {f":a{i}": v for i, v in enumerate(values.values())}
        sets = ", ".join(f"#a{i} = :a{i}" for i in range(len(values)))
        client = self.client
        try:
            client.update_item(
                TableName=self.table_name, Key=to_item(job_key(job_id)),
                UpdateExpression=f"SET {sets} REMOVE lease_owner, lease_until ADD requests :req, write_units :wu",
                ConditionExpression="lease_owner = :w",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_item({**placeholders, ":w": worker,
                                                   ":req": int(cost.get("requests", 0)),
                                                   ":wu": int(cost.get("write_units", 0))}),
                ReturnValues="ALL_NEW")
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release_lease(self, job_id: str, worker: str) -> None:
        client = self.client
        try:
            client.update_item(TableName=self.table_name, Key=to_item(job_key(job_id)),
                               UpdateExpression="REMOVE lease_owner, lease_until",
                               ConditionExpression="lease_owner = :w",
                               ExpressionAttributeValues=to_item({":w": worker}), ReturnValues="ALL_NEW")
        except client.exceptions.ConditionalCheckFailedException:
            pass

    def put_chunk(self, job_id: str, chunk: int, outcome: Mapping[str, Any]) -> dict[str, Any]:
        """Fix chunk ``chunk``'s outcome once; returns the stored outcome (ours, or the one a
        concurrent run stored first)."""
        client = self.client
        try:
            client.put_item(TableName=self.table_name,
                            Item=to_item({**chunk_key(job_id, chunk), "type": "import_chunk", **outcome}),
                            ConditionExpression="attribute_not_exists(pk)")
        except client.exceptions.ConditionalCheckFailedException:
            stored = self.get_chunk(job_id, chunk)
            if stored is None:
                raise
            return stored
        return dict(outcome)

    def finish_chunk(self, job_id: str, chunk: int, outcome: Mapping[str, Any]) -> dict[str, Any]:
        """Replace chunk ``chunk``'s plan by its outcome, once; returns the stored outcome."""
        values = {k: v for k, v in outcome.items() if k != "chunk"}
        names = {f"#a{i}": k for i, k in enumerate(values)}
        placeholders = {f":a{i}": v for i, v in enumerate(values.values())}
        sets = ", ".join(f"#a{i} = :a{i}" for i in range(len(values)))
        client = self.client
        try:
            client.update_item(TableName=self.table_name, Key=to_item(chunk_key(job_id, chunk)),
                               UpdateExpression=f"SET {sets}", ConditionExpression="#phase = :planned",
                               ExpressionAttributeNames={**names, "#phase": "phase"},
                               ExpressionAttributeValues=to_item({**placeholders, ":planned": "planned"}),
                               ReturnValues="ALL_NEW")
        except client.exceptions.ConditionalCheckFailedException:
            stored = self.get_chunk(job_id, chunk)
            if stored is None or stored.get("phase") != "done":
                raise
            return stored
        return dict(outcome)

    def cost(self) -> dict[str, int]:
        """Requests and write units since the previous call (each job adds its own up)."""
        snapshot = self.counter.snapshot()
        requests, units = int(snapshot["total_requests"]), int(snapshot["write_units"])
        delta = {"requests": requests - self._reported[0], "write_units": units - self._reported[1]}
        self._reported = (requests, units)
        return delta

    def get_chunk(self, job_id: str, chunk: int) -> dict[str, Any] | None:
        result = self.client.get_item(TableName=self.table_name, Key=to_item(chunk_key(job_id, chunk)),
                                      ConsistentRead=True)
        item = result.get("Item")
        return from_item(item) if item else None

    def chunks(self, job_id: str) -> dict[int, dict[str, Any]]:
        found: dict[int, dict[str, Any]] = {}
        kwargs: dict[str, Any] = {
            "TableName": self.table_name, "ConsistentRead": True,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": to_item({":pk": f"IMPORT#{job_id}", ":prefix": "CHUNK#"}),
        }
        while True:
            result = self.client.query(**kwargs)
            for item in result.get("Items", []):
                values = from_item(item)
                found[int(values["chunk"])] = values
            if "LastEvaluatedKey" not in result:
                return found
            kwargs["ExclusiveStartKey"] = result["LastEvaluatedKey"]

    # ------------------------------------------------------------ look-ups (consistent, batched)
    def lookup(self, member_ids: Sequence[str], numbers: Sequence[str]
               ) -> tuple[dict[str, ExistingMember], dict[str, ExistingClaim]]:
        """Which members and number claims exist already: consistent BatchGetItem, 100 keys a
        request. Only a pre-check (the conditional writes decide): it spares the writes a
        re-uploaded file would fail anyway, and names the rule that failed."""
        keys = [to_item(member_key(m)) for m in dict.fromkeys(member_ids)]
        keys += [to_item(number_claim_key(n)) for n in dict.fromkeys(numbers)]
        members: dict[str, ExistingMember] = {}
        claims: dict[str, ExistingClaim] = {}
        for item in self._batch_get(keys, projection="pk, import_job, member_number, #owner",
                                    names={"#owner": "owner"}):
            values = from_item(item)
            pk = str(values["pk"])
            if pk.startswith("MEMBER#"):
                members[pk.removeprefix("MEMBER#")] = ExistingMember(values.get("import_job"),
                                                                    values.get("member_number"))
            else:
                claims[pk.removeprefix("NUMBER#")] = ExistingClaim(str(values.get("owner", "")))
        return members, claims

    def orgs_exist(self, org_ids: Sequence[str]) -> set[str]:
        items = self._batch_get([to_item({"pk": f"ORG#{o}", "sk": "ORG"}) for o in dict.fromkeys(org_ids)],
                                projection="pk", names={})
        return {str(i["pk"]["S"]).removeprefix("ORG#") for i in items}

    def quota_remaining(self, keys: Sequence[tuple[int, str, str]]) -> dict[tuple[int, str, str], int]:
        items = self._batch_get([to_item(quota_key(*k)) for k in dict.fromkeys(keys)],
                                projection="pk, sk, remaining", names={})
        found: dict[tuple[int, str, str], int] = {}
        for item in items:
            values = from_item(item)
            _, year, domain = str(values["pk"]).split("#", 2)
            found[(int(year), domain, str(values["sk"]).removeprefix("ORG#"))] = int(values.get("remaining", 0))
        return found

    # ------------------------------------------------------------ members and claims
    def put_member(self, member: Mapping[str, Any], job_id: str) -> bool:
        """The member item (its key is the ID number's keyed hash: the ID's uniqueness), owned
        by ``job_id``: True when it is now ours (new, or written by this job before a crash)."""
        client = self.client
        try:
            client.put_item(TableName=self.table_name, Item=to_item(member_values(member, job_id)),
                            ConditionExpression="attribute_not_exists(pk) OR import_job = :job",
                            ExpressionAttributeValues=to_item({":job": job_id}))
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def delete_member(self, member_id: str, job_id: str) -> None:
        """Compensation: remove a member this job wrote (never anybody else's)."""
        client = self.client
        try:
            client.delete_item(TableName=self.table_name, Key=to_item(member_key(member_id)),
                               ConditionExpression="import_job = :job",
                               ExpressionAttributeValues=to_item({":job": job_id}), ReturnValues="ALL_OLD")
        except client.exceptions.ConditionalCheckFailedException:
            pass

    def claim_number(self, member_number: str, member_id: str, job_id: str) -> bool:
        """The development number's claim for ``member_id``; True when it is now the member's
        (new, or claimed for the same member before a crash)."""
        client = self.client
        try:
            client.put_item(
                TableName=self.table_name,
                Item=to_item({**number_claim_key(member_number), "type": "claim", "owner": member_id,
                              "import_job": job_id}),
                ConditionExpression="attribute_not_exists(pk) OR #owner = :owner",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues=to_item({":owner": member_id}),
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release_number(self, member_number: str, member_id: str) -> None:
        client = self.client
        try:
            client.delete_item(TableName=self.table_name, Key=to_item(number_claim_key(member_number)),
                               ConditionExpression="#owner = :owner", ExpressionAttributeNames={"#owner": "owner"},
                               ExpressionAttributeValues=to_item({":owner": member_id}), ReturnValues="ALL_OLD")
        except client.exceptions.ConditionalCheckFailedException:
            pass

    def put_audits(self, entries: Sequence[Mapping[str, Any]]) -> None:
        """Audit entries need no condition (their keys are fixed by the member and the job's
        start time, so a retry rewrites the same items): BatchWriteItem, 25 a request."""
        self._batch_write([{"PutRequest": {"Item": to_item({"type": "audit", **e})}} for e in entries])

    def mark_segment_used(self, held: HeldSegment, sequences: Sequence[int]) -> bool:
        """``ADD`` the chunk's sequences to the held segment's ``used_sequences`` (one update
        per chunk and segment, idempotent), only while the holder still holds it."""
        update = self.tree.segment_use_update(held, sequences)
        client = self.client
        try:
            client.update_item(**update, ReturnValues="ALL_NEW")
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    # ------------------------------------------------------------ quota reservations
    def reserve_quota(self, key: tuple[int, str, str], token: str, want: int) -> int:
        """Reserve up to ``want`` places on one quota holder under ``token``; returns how many
        the token holds now. The counter and the token change in one conditional update, so a
        retry finds its token and takes nothing twice; with fewer places left, it takes what
        is left."""
        client = self.client
        while want > 0:
            try:
                client.update_item(
                    TableName=self.table_name, Key=to_item(quota_key(*key)),
                    UpdateExpression="SET used = used + :n, remaining = remaining - :n, #t = :n",
                    ConditionExpression="attribute_exists(pk) AND remaining >= :n AND attribute_not_exists(#t)",
                    ExpressionAttributeNames={"#t": token},
                    ExpressionAttributeValues=to_item({":n": want}), ReturnValues="ALL_NEW")
                return want
            except client.exceptions.ConditionalCheckFailedException:
                item = self._get(quota_key(*key))
                if item is None:
                    return 0
                if token in item:
                    return int(item[token])
                want = min(want, max(int(item.get("remaining", 0)), 0))
        return 0

    def adjust_reservation(self, key: tuple[int, str, str], token: str, held: int, keep: int) -> None:
        """Give back ``held - keep`` places of a reservation (the token then holds ``keep``;
        it is removed when ``keep`` is 0). Idempotent: conditional on the token holding ``held``."""
        give_back = held - keep
        if give_back <= 0:
            return
        values: dict[str, Any] = {":x": give_back, ":held": held}
        expression = "SET used = used - :x, remaining = remaining + :x"
        if keep:
            values[":keep"] = keep
            expression += ", #t = :keep"
        else:
            expression += " REMOVE #t"
        client = self.client
        try:
            client.update_item(TableName=self.table_name, Key=to_item(quota_key(*key)), UpdateExpression=expression,
                               ConditionExpression="#t = :held", ExpressionAttributeNames={"#t": token},
                               ExpressionAttributeValues=to_item(values), ReturnValues="ALL_NEW")
        except client.exceptions.ConditionalCheckFailedException:
            item = self._get(quota_key(*key)) or {}
            current = item.get(token)
            if (current is None and keep == 0) or current == keep:
                return  # done before a crash
            raise

    def settle_quota(self, key: tuple[int, str, str], token: str, reserved: int, used: int) -> None:
        """The chunk's rows are written: keep ``used`` of the ``reserved`` places, give the rest
        back and remove the token, in one update conditional on the token (so it happens once)."""
        values: dict[str, Any] = {":held": reserved}
        expression = "REMOVE #t"
        if reserved > used:
            values[":x"] = reserved - used
            expression = "SET used = used - :x, remaining = remaining + :x REMOVE #t"
        client = self.client
        try:
            client.update_item(TableName=self.table_name, Key=to_item(quota_key(*key)), UpdateExpression=expression,
                               ConditionExpression="#t = :held", ExpressionAttributeNames={"#t": token},
                               ExpressionAttributeValues=to_item(values), ReturnValues="ALL_NEW")
        except client.exceptions.ConditionalCheckFailedException:
            item = self._get(quota_key(*key)) or {}
            if token not in item:
                return  # settled before a crash (the chunk's outcome is recorded only after reserving)
            raise

    # ------------------------------------------------------------ organisations (branch import)
    def put_org(self, org: Organisation, job_id: str, extra: Mapping[str, Any]) -> bool:
        """A new organisation (its id is deterministic from parent and name), owned by the job:
        True when it is now ours (new, or created by this job before a crash)."""
        client = self.client
        try:
            client.put_item(TableName=self.table_name,
                            Item={**_org_to_item(org), **to_item({**extra, "import_job": job_id})},
                            ConditionExpression="attribute_not_exists(pk) OR import_job = :job",
                            ExpressionAttributeValues=to_item({":job": job_id}))
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    # ------------------------------------------------------------ helpers

    def _batch_get(self, keys: list[dict[str, Any]], *, projection: str, names: Mapping[str, str]
                   ) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), _BATCH_GET):
            spec: dict[str, Any] = {"Keys": keys[start:start + _BATCH_GET], "ConsistentRead": True,
                                    "ProjectionExpression": projection}
            if names:
                spec["ExpressionAttributeNames"] = dict(names)
            request: dict[str, Any] = {self.table_name: spec}
            while request:
                result = self.client.batch_get_item(RequestItems=request)
                found.extend(result.get("Responses", {}).get(self.table_name, []))
                request = result.get("UnprocessedKeys") or {}
        return found

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        for start in range(0, len(requests), _BATCH_WRITE):
            pending: dict[str, Any] = {self.table_name: requests[start:start + _BATCH_WRITE]}
            while pending:
                result = self.client.batch_write_item(RequestItems=pending)
                pending = result.get("UnprocessedItems") or {}


def member_values(member: Mapping[str, Any], job_id: str) -> dict[str, Any]:
    """The member item exactly as single entry stores it (``DynamoStore.register_member``: the
    same keys and gsi keys — a test compares the two), plus the importing job."""
    member_id = str(member["member_id"])
    branch_path = [str(p) for p in member["branch_path"]]
    return {**member_key(member_id), "type": "member", **member,
            **member_index_keys(member_id, str(member["name"]), branch_path), "import_job": job_id}


def audit_values(member: Mapping[str, Any]) -> dict[str, Any]:
    """The member's ``created`` audit entry, as single entry writes it."""
    return {"pk": f"MEMBER#{member['member_id']}", "sk": f"AUDIT#{member['created_at']}#created",
            "action": "created", "actor": member.get("created_by"), "at": member["created_at"],
            "via": member.get("created_via"), "to_state": member.get("archive_state")}

