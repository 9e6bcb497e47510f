"""Distribution under concurrency, against moto with its writes made atomic like DynamoDB's
(infra/local/moto_fidelity.py), so what is proved is the design, not moto's race:

* admins distributing the same parent's last numbers at the same moment never over-allocate;
* registrations racing take-backs and hand-outs on the same segments: each one either
  commits or fails cleanly; no registered number is ever outside a segment of its member's
  ancestry, and the total of all held segments never changes — checked at the end and on
  snapshots taken *during* the race (under the same lock that serialises moto's writes).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from infra.local import moto_fidelity
from tests.integration.test_distribution import (
    Tree,
    build_tree,
    check_invariants,
    quota_of,
    ranges_of,
    register,
    set_quota,
)
from zhtj.bootstrap import Container
from zhtj.domain.errors import DomainError, QuotaExceeded, SegmentError
from zhtj.domain.glossary import Industry, OrgKind
from zhtj.domain.orgs import new_child
from zhtj.services.errors import Conflict


def _children(container: Container, tree: Tree, count: int) -> list[Any]:
    made = [new_child(tree.county, org_id=f"n{i}", name=f"第{i}初级中学团委", short_name=f"{i}中团委",
                      kind=OrgKind.COMMITTEE, industry=Industry.JUNIOR_HIGH) for i in range(count)]
    container.store.add_many(made)
    return made


def test_admins_giving_60_of_the_last_100_at_once_only_one_succeeds(container: Container) -> None:
    tree = build_tree(container)
    set_quota(container, tree, tree.other_school, 900)  # 100 left at the county: 1–100
    children = _children(container, tree, 6)
    start = threading.Barrier(len(children))

    def give(child: Any) -> str:
        start.wait()
        try:
            set_quota(container, tree, child, 60)
        except (QuotaExceeded, SegmentError) as refused:
            return refused.code
        return "ok"

    with ThreadPoolExecutor(len(children)) as pool:
        outcomes = list(pool.map(give, children))
    assert outcomes.count("ok") == 1, outcomes
    assert set(outcomes) - {"ok"} <= {"quota_not_enough", "numbers_not_enough"}
    county = quota_of(container, tree.county)
    assert county is not None and county["distributed"] == 960 <= county["quota"]
    assert sum(b - a + 1 for a, b in ranges_of(container, tree.county)) == 40
    check_invariants(container, total=1000)


def test_registrations_racing_take_backs_never_strand_a_number(container: Container) -> None:
    tree = build_tree(container)
    set_quota(container, tree, tree.school, 200)  # the school holds 801–1000
    set_quota(container, tree, tree.other_school, 300)  # 501–800
    numbers = list(range(1000, 940, -2))  # the top of the school's range: what a take-back takes first
    outcomes: dict[str, int] = {}
    snapshots: list[int] = []
    failures: list[BaseException] = []
    done = threading.Event()
    lock = threading.Lock()

    def count(outcome: str) -> None:
        with lock:
            outcomes[outcome] = outcomes.get(outcome, 0) + 1

    def registrar(sequences: list[int]) -> None:
        for sequence in sequences:
            for _attempt in range(20):  # what an admin does on “号段刚刚被重新分配”: submit again
                try:
                    register(container, tree, sequence)
                    count("registered")
                    break
                except Conflict as conflict:
                    if conflict.code != "segment_changed":
                        raise
                    count("retried")
                except DomainError as refused:  # e.g. the school's quota is used up meanwhile
                    count(refused.code)
                    break

    def school_admin() -> None:
        for quota in (150, 110, 90, 70, 200, 60, 45, 40):
            try:
                set_quota(container, tree, tree.school, quota)
                count("school_quota_set")
            except DomainError as refused:
                count(f"school_{refused.code}")

    def other_admin() -> None:
        for quota in (100, 350, 0, 250):
            try:
                set_quota(container, tree, tree.other_school, quota)
                count("other_quota_set")
            except DomainError as refused:
                count(f"other_{refused.code}")

    def monitor() -> None:
        while not done.is_set():
            with moto_fidelity._LOCK:  # a consistent snapshot: no write commits meanwhile
                try:
                    check_invariants(container, total=1000)
                    snapshots.append(1)
                except BaseException as error:
                    failures.append(error)
                    return
            time.sleep(0.1)

    watcher = threading.Thread(target=monitor)
    watcher.start()
    try:
        with ThreadPoolExecutor(6) as pool:
            jobs = [pool.submit(registrar, numbers[i::4]) for i in range(4)]
            jobs += [pool.submit(school_admin), pool.submit(other_admin)]
            for job in jobs:
                job.result()
    finally:
        done.set()
        watcher.join()
    assert not failures, failures[0]
    assert snapshots, "no snapshot was taken during the race"
    check_invariants(container, total=1000)
    assert outcomes.get("registered", 0) >= 1 and outcomes.get("school_quota_set", 0) >= 1, outcomes
    # everything either committed or failed cleanly, with one of the rules' own reasons
    allowed = {"registered", "retried", "school_quota_set", "other_quota_set", "quota_exceeded",
               "school_below_usage", "school_child_numbers_in_use", "school_quota_not_enough",
               "school_numbers_not_enough", "other_quota_not_enough", "other_numbers_not_enough",
               "other_below_usage", "other_child_numbers_in_use", "number_not_in_segment",
               "school_plan_busy", "other_plan_busy"}  # gave up after retries: nothing written
    assert set(outcomes) <= allowed, outcomes
    school = quota_of(container, tree.school)
    assert school is not None and school["used"] + school["distributed"] <= school["quota"]
