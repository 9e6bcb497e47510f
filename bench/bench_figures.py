"""Does the province's dashboard cost more with more members? (issue 8 §3)

Builds the demo tree and 2023 plan (infra/local/demo.py) in moto (in process, resources from
template.yaml), then members spread over every county, loaded directly with BatchWriteItem
together with the counters recomputed from them (what the stream consumer would have written),
and times the province's figures query (GET /api/orgs/32/figures) at 1,000 and at 100,000
members. It reads counter, quota and youth items by key only, so the ratio of the times should
be ≈ 1. For the province's missed-milestones list (every city and county) it prints the DynamoDB
requests and items read at both sizes, which are what DynamoDB bills and are the same at both
sizes; its time under moto is not shown as a figure of the design, because moto answers a GSI
Query (the children of an organisation) by walking the whole table.

    .venv/bin/python bench/bench_figures.py [small] [large]

Prints figures only; nothing here asserts on timing.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "functions"))
sys.path.insert(0, str(ROOT))

REPEATS = 5
STATES = ("尚未认证", "待审批", "团员身份已认证", "认证不通过")
DOMAINS = ("初中", "普通高中", "中职", "高校本科", "高职(专科)", "社会")


def best(run: Callable[[], Any]) -> float:
    # 100,000 members are millions of Python objects in moto's memory: a full garbage
    # collection during a timed call would be measuring moto's heap, not the query.
    gc.collect()
    gc.freeze()
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def members(start: int, count: int, counties: list[tuple[str, str]]) -> list[dict[str, Any]]:
    items = []
    for n in range(start, start + count):
        city, county = counties[n % len(counties)]
        path = ["32", city, county, f"{county}-b{n % 40:02d}"]
        state = STATES[n % 4]
        items.append({"pk": f"MEMBER#m{n:031d}", "sk": "MEMBER", "type": "member", "member_id": f"m{n:031d}",
                      "name": f"团员{n}", "join_year": 2023, "join_month": 1 + n % 12, "domain": DOMAINS[n % 6],
                      "branch_path": path, "branch_id": path[-1], "archive_state": state,
                      "archive_version": 0 if state == "尚未认证" else 1, "member_number": f"202332{n:06d}",
                      "gsi2pk": "TREE#32", "gsi2sk": f"MEMBER#{'/'.join(path)}/m{n:031d}"})
    return items


def main(small: int = 1_000, large: int = 100_000) -> None:
    for key, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}.items():
        os.environ[key] = value
    import boto3
    from moto import mock_aws

    from infra.local.demo import demo_plan_items, demo_tree
    from infra.local.resources import create_resources
    from zhtj import bootstrap
    from zhtj.adapters.dynamodb import to_item
    from zhtj.adapters.dynamodb_figures import DynamoFigures
    from zhtj.domain.glossary import OrgKind, Role
    from zhtj.domain.orgs import Principal
    from zhtj.services import figures
    from zhtj.settings import Settings

    with mock_aws():
        resources = create_resources(boto3.session.Session(), endpoint_url=None,
                                     parameters={"Stage": "bench", "SiteOrigin": "http://127.0.0.1:8000"})
        container = bootstrap.build(Settings.from_environ({**resources.environment, "AWS_REGION": "us-east-1"}))
        tree = demo_tree()
        container.store.add_many(tree)
        container.store.load_plan(*demo_plan_items(tree))
        store = DynamoFigures(container.clients, container.settings.table_name)
        counties = [(o.path[1], o.org_id) for o in tree if o.kind is OrgKind.COUNTY]
        province = Principal(username="jiangsu", org_id="32", org_path=("32",), role=Role.ADMIN)
        as_of = date(2023, 7, 1)
        loaded: list[dict[str, Any]] = []

        def load(up_to: int) -> None:
            batch = members(len(loaded), up_to - len(loaded), counties)
            store._batch_write([{"PutRequest": {"Item": to_item(m)}} for m in batch])
            loaded.extend(batch)
            store.write_counters(figures.recompute(loaded))

        def query() -> None:
            figures.org_figures(province, "32", 2023, as_of=as_of, store=store, orgs=container.store)

        def missed() -> None:
            figures.missed_units(province, "32", 2023, as_of=as_of, store=store, orgs=container.store)

        calls: list[tuple[str, int]] = []

        def count(**kwargs: Any) -> None:
            parsed = kwargs.get("parsed") or {}
            items = len(parsed.get("Items", [])) + sum(len(v) for v in parsed.get("Responses", {}).values())
            calls.append((kwargs["model"].name, items + (1 if "Item" in parsed else 0)))

        container.clients.client("dynamodb").meta.events.register("after-call.dynamodb", count)

        def cost(run: Callable[[], Any]) -> tuple[int, int]:
            calls.clear()
            run()
            return len(calls), sum(n for _, n in calls)

        results = {}
        for size in (small, large):
            start = time.perf_counter()
            load(size)
            print(f"loaded {size:>7,} members in {time.perf_counter() - start:6.1f} s", flush=True)
            results[size] = (best(query), cost(query), cost(missed))
            body = figures.org_figures(province, "32", 2023, as_of=as_of, store=store, orgs=container.store)
            assert body["total"]["entered"] == size, body["total"]
        (t1, q1, m1), (t2, q2, m2) = results[small], results[large]
        print(f"province figures: {small:>7,} members {t1 * 1000:7.1f} ms   {large:>7,} members {t2 * 1000:7.1f} ms"
              f"   ratio {t2 / t1:.2f}   (requests, items read: {q1} vs {q2})")
        print(f"province missed list ({len(counties)} counties + cities): requests, items read {m1} vs {m2}")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*args)
