"""A batch import is applied exactly once (issue 4, part 4): the same S3 event twice, a
re-upload of the same file, a worker that dies after any number of writes and is retried, a
duplicate event while the job runs, and two imports racing for the last numbers of a segment
and the last places of a quota — against moto, with moto's writes made atomic
(infra/local/moto_fidelity.py) so that the races test the design, not moto."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from infra.local.resources import LocalResources
from tests.integration.conftest import client
from tests.integration.tables import copy_items, table_like
from tests.integration.test_imports import (
    SCHOOL_QUOTA,
    World,
    build_world,
    codes,
    member_file,
    no_reservations_left,
    row_values,
)
from zhtj.adapters.dynamodb_imports import DynamoImportStore, LeaseHeld, SimulatedCrash
from zhtj.bootstrap import Container
from zhtj.handlers import import_worker
from zhtj.services import imports
from zhtj.services.import_jobs import timestamp


@pytest.fixture
def world(container: Container, aws: LocalResources) -> World:
    return build_world(container, aws)


def fresh_world(base: Container, aws: LocalResources, name: str) -> World:
    """A world in a table of its own (the same schema, bucket and queue). A whole second stack
    (test_imports.second_stack) would do too, but moto makes a user pool's key in seconds."""
    return build_world(table_like(base, name), aws)


def copy_world(seed: World, name: str) -> World:
    """``seed``'s items in a new table: a clean run and each crashed run start from one state."""
    container = table_like(seed.container, name)
    copy_items(seed.container, container)
    return World(container, seed.aws, seed.orgs, seed.admins, seed.bucket)


# ------------------------------------------------------------------ running the worker directly
def upload(world: World, who: str, data: bytes, **options: Any) -> tuple[str, str, str | None]:
    """A job and its object in S3 (the event is not pumped: the tests call the worker)."""
    ticket = world.request(who, **options)
    key = str(ticket.job["key"])
    put = client("s3").put_object(Bucket=world.bucket, Key=key, Body=data)
    return str(ticket.job["job_id"]), key, put.get("VersionId")


def worker(world: World, *, crash_after: int | None = None, chunk_rows: int = 4, parallelism: int = 2
           ) -> imports.Worker:
    store = DynamoImportStore(world.container.clients, world.container.settings.table_name)
    if crash_after is not None:
        store.counter.crash_after(crash_after)
    return imports.Worker(ledger=store, files=import_worker.import_files(world.container),
                          secret=world.secret, chunk_rows=chunk_rows, parallelism=parallelism)


def state(world: World) -> dict[str, Any]:
    """Everything an import may change, without what differs between two clean runs by design
    (job ids, start times)."""
    found: dict[str, Any] = {"members": {}, "claims": {}, "quota": {}, "segments": {}, "audits": Counter()}
    for item in world.items():
        pk, sk = str(item["pk"]), str(item["sk"])
        kind = item.get("type")
        if pk.startswith("IMPORT#"):
            continue
        if kind == "member":
            found["members"][item["member_id"]] = {k: v for k, v in item.items()
                                                   if k not in ("import_job", "created_at")}
        elif kind == "claim":
            found["claims"][pk] = item["owner"]
        elif kind == "quota":
            tokens = sorted(k for k in item if k.startswith("rsv_"))
            found["quota"][(pk, sk)] = (item["used"], item["remaining"], tokens)
        elif kind == "segment":
            found["segments"][(pk, sk)] = sorted(item.get("used_sequences") or ())
        elif kind == "audit":
            found["audits"][(pk, item["action"])] += 1
    return found


def crash_file() -> bytes:
    """12 rows in 3 chunks of 4: imports, a registered ID, a used number, an offline error and
    two rows past the school's quota — every branch of the write path."""
    rows = [row_values(i) for i in range(1, 8)]                  # rows 2–8: numbers 1–7
    rows.append(row_values(40, 发展团员编号="202332000012"))      # 9: ID registered before
    rows.append(row_values(41, 发展团员编号="202332000019"))      # 10: number used before
    rows.append(row_values(42, 身份证号码="320102200801010000"))  # 11: offline (check digit)
    rows += [row_values(i) for i in (8, 9)]                       # 12–13: past the quota
    return member_file(rows)


@pytest.fixture
def seed(container: Container, aws: LocalResources) -> World:
    world = fresh_world(container, aws, "zhtj-seed")
    world.register("branch", 40, 发展团员编号="202332000019")  # takes 1 of the school's 8 places
    return world


def prepare(world: World) -> tuple[str, str, str | None]:
    return upload(world, "branch", crash_file())


EXPECTED = {9: {"id_registered"}, 10: {"number_used"}, 11: {"id_checksum"}, 12: {"quota_exceeded"},
            13: {"quota_exceeded"}}


@pytest.fixture
def clean_run(seed: World) -> dict[str, Any]:
    """One clean run, in a table of its own."""
    world = copy_world(seed, "zhtj-clean")
    job_id, key, version = prepare(world)
    run = worker(world)
    outcome = imports.process_upload(key, version, run)
    assert outcome.status == "done" and (outcome.imported, outcome.failed) == (7, 5)
    status = world.status("branch", job_id)
    assert codes(status) == EXPECTED
    return {"state": state(world), "writes": run.ledger.counter.writes,  # type: ignore[attr-defined]
            "message": status["message"]}


# ------------------------------------------------------------------ duplicates and re-uploads
def test_the_same_event_twice_imports_nobody_twice(world: World) -> None:
    status = world.run("branch", member_file([row_values(i) for i in (1, 2, 3)]))
    assert status["message"] == "成功导入 3 位团员，0 位团员导入失败"
    before = state(world)
    job = world.store.get_job(status["job_id"])
    assert job is not None
    body = {"Records": [{"eventName": "ObjectCreated:Post", "s3": {
        "bucket": {"name": world.bucket},
        "object": {"key": job["key"], "size": 100, "versionId": job.get("source_version_id")}}}]}
    client("sqs").send_message(QueueUrl=world.aws.physical("UploadQueue"), MessageBody=json.dumps(body))
    pump = world.pump()
    assert pump.stats.succeeded == 1 and pump.stats.failed == 0
    assert state(world) == before
    assert world.status("branch", status["job_id"])["message"] == status["message"]


def test_a_re_upload_of_the_same_file_imports_nobody_twice_and_leaks_nothing(world: World) -> None:
    data = member_file([row_values(i) for i in (1, 2, 3)])
    world.run("branch", data)
    before = state(world)
    again = world.run("branch", data)
    assert again["message"] == "成功导入 0 位团员，3 位团员导入失败"
    assert set().union(*codes(again).values()) == {"id_registered"}
    assert state(world) == before  # the quota counters included: nothing reserved stays reserved
    no_reservations_left(world)


def test_a_second_post_to_the_same_key_is_not_imported_again(world: World) -> None:
    _, key, version = upload(world, "branch", member_file([row_values(1)]))
    second = client("s3").put_object(Bucket=world.bucket, Key=key, Body=member_file([row_values(2)]))
    first = imports.process_upload(key, version, worker(world))
    assert first.status == "done" and first.imported == 1
    assert imports.process_upload(key, second.get("VersionId"), worker(world)).status == "duplicate"
    assert len(world.members()) == 1


def test_an_event_while_another_worker_holds_the_job_is_retried_later(world: World) -> None:
    job_id, key, version = upload(world, "branch", member_file([row_values(1)]))
    other = worker(world)
    now = datetime.now(UTC)
    assert other.ledger.start_job(job_id, version_id=version, worker=other.worker_id, now=timestamp(now),
                                  lease_until=other.lease_until(), active=("waiting_upload",)) is not None
    with pytest.raises(LeaseHeld):
        imports.process_upload(key, version, worker(world))
    assert world.members() == {}
    other.ledger.release_lease(job_id, other.worker_id)
    assert imports.process_upload(key, version, worker(world)).imported == 1


def test_progress_is_recorded_while_the_job_runs(world: World) -> None:
    _, key, version = upload(world, "branch", member_file([row_values(i) for i in range(1, 8)]))
    run = worker(world, chunk_rows=2)
    seen: list[tuple[str, int, int]] = []
    advance = run.ledger.advance_job

    def watching(job: str, chunk: int, **kwargs: Any) -> None:
        advance(job, chunk, **kwargs)
        view = world.status("branch", job)
        seen.append((view["status"], view["rows_done"], view["rows_total"]))

    run.ledger.advance_job = watching  # type: ignore[method-assign]
    imports.process_upload(key, version, run)
    assert seen == [("importing", 2, 7), ("importing", 4, 7), ("importing", 6, 7), ("importing", 7, 7)]


# ------------------------------------------------------------------ crashes
def test_a_crash_after_any_number_of_writes_then_a_retry_equals_one_clean_run(clean_run: dict[str, Any],
                                                                             seed: World) -> None:
    """The worker raises before its (k+1)-th write, for k from 0 to every write a clean run
    makes (every other one, and the last few: ~1 s each on moto); the event is retried; the end
    state — members, claims, quota counters, segment used sets, audit entries, the result —
    equals the clean run's."""
    writes = int(clean_run["writes"])
    assert writes > 20
    for k in sorted({*range(0, writes, 2), *range(writes - 3, writes)}):
        world = copy_world(seed, f"zhtj-k{k}")
        job_id, key, version = prepare(world)
        with pytest.raises(SimulatedCrash):
            imports.process_upload(key, version, worker(world, crash_after=k))
        outcome = imports.process_upload(key, version, worker(world))
        assert outcome.status == "done", k
        assert state(world) == clean_run["state"], f"crash before write {k + 1}"
        status = world.status("branch", job_id)
        assert status["message"] == clean_run["message"] and codes(status) == EXPECTED, k
        no_reservations_left(world)


def test_two_crashes_in_a_row_still_end_as_one_clean_run(clean_run: dict[str, Any], seed: World) -> None:
    writes = int(clean_run["writes"])
    for first, second in ((3, 5), (writes // 3, 2), (writes // 2, writes // 4), (writes - 3, 1)):
        world = copy_world(seed, f"zhtj-twice{first}x{second}")
        _, key, version = prepare(world)
        for k in (first, second):
            with pytest.raises(SimulatedCrash):
                imports.process_upload(key, version, worker(world, crash_after=k))
        assert imports.process_upload(key, version, worker(world)).status == "done"
        assert state(world) == clean_run["state"], (first, second)


# ------------------------------------------------------------------ races
def _race(world: World, files: dict[str, bytes]) -> dict[str, dict[str, Any]]:
    jobs = {who: upload(world, who, data) for who, data in files.items()}
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(who: str) -> None:
        _, key, version = jobs[who]
        barrier.wait()
        try:
            imports.process_upload(key, version, worker(world, chunk_rows=2, parallelism=2))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(who,)) for who in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return {who: world.status(who, job_id) for who, (job_id, _, _) in jobs.items()}


def test_two_imports_racing_for_the_last_numbers_and_places_never_share_or_exceed(container: Container,
                                                                                   aws: LocalResources) -> None:
    for round_ in range(3):
        world = fresh_world(container, aws, f"zhtj-race{round_}")
        # Class 1 wants numbers 1–6, class 2 numbers 4–9 (4–6 contested); 12 rows for 8 places;
        # person 20 is in both files (one ID, two numbers).
        one = [row_values(i) for i in range(1, 7)] + [row_values(20, 发展团员编号="202332000010")]
        two = [row_values(10 + i, 发展团员编号=f"2023320000{i:02d}") for i in range(4, 10)]
        two.append(row_values(20, 发展团员编号="202332000011"))
        statuses = _race(world, {"branch": member_file(one), "branch2": member_file(two)})
        imported = sum(s["imported"] for s in statuses.values())
        found = world.members()
        assert imported == len(found) == SCHOOL_QUOTA  # every place taken, none twice
        numbers = [m["member_number"] for m in found.values()]
        assert len(set(numbers)) == len(numbers)
        for member_id, member in found.items():
            assert world.claim_owner(member["member_number"]) == member_id
        claims = [i for i in world.items() if i.get("type") == "claim"]
        assert len(claims) == len(found)  # no claim left behind by a losing row
        for org in ("sch", "320102", "3201", "32"):
            quota = world.quota(org)
            assert quota["used"] == len(found) and quota["remaining"] == quota["quota"] - len(found)
        assert world.used_sequences("sch") == {int(n[-6:]) for n in numbers}
        assert len([m for m in found.values() if m["name"] == row_values(20)["姓名"]]) <= 1
        failures = set().union(*(set().union(*codes(s).values()) for s in statuses.values()))
        assert failures <= {"number_used", "quota_exceeded", "id_registered"}, failures
        assert sum(s["failed"] for s in statuses.values()) == 14 - SCHOOL_QUOTA
        no_reservations_left(world)
