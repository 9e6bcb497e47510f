"""(c) A full batch import into the local stack, end to end, with its DynamoDB cost.

Starts ``infra.local.stack.LocalStack`` in this process (moto server, the resources of
template.yaml, the demo data and accounts, the HTTP front with its JWT check, the SQS pump
running the real worker), gives the demo school enough 2023 初中 places and a segment of its
own for the run (a plan loaded for the bench), then, as the ``branch`` demo admin over HTTP:

1. a 20,000-row .xlsx (1 row in 500 fails an offline rule): ask for the signed upload, post
   the file to S3, poll the job (progress printed while it runs) until the result sentence;
   prints rows/s, the DynamoDB requests and write units per imported row (counted by the
   adapter's CountingClient from the calls it makes; write units computed from item sizes by
   DynamoDB's rules), per operation, and the peak memory (RSS of this process above what it
   held before the import, sampled; and the bounded reader child's own peak);
2. a 500-row class file from "ask for the upload" to the result sentence (target ≤ 10 s);
3. baselines measured in the same run against the same moto server: BatchWriteItem of plain
   member-sized items (items/s) and conditional PutItem (puts/s) — the import needs two
   conditional puts per row, so puts/s ÷ 2 is the rows/s a perfect import would reach here.

The stack's DynamoDB-stream consumer (the figures worker, infra/local/stream_pump.py) reacts to
every member item with a TransactWriteItems, which moto serves by deep-copying the table once
per item while holding the lock every write waits for: with it running, an import crawls for
reasons outside the import. It is paused for (1) and (2); ``--figures`` first times the class
file with it running, so both figures are printed.

    .venv/bin/python bench/bench_import_full.py [rows] [class_rows] [--figures]

Prints figures only; nothing here asserts on timing.
"""

from __future__ import annotations

import io
import sys
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT / "functions", ROOT):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

YEAR = 2023
FIRST_SEQUENCE = 500_000  # far above every demo segment: the bench's own segment
_SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红"
_JOIN_FORMS = ("2023-03", "2023.3", "2023年3月", "202303")


def build_workbook(rows: int, first: int, *, birth_year: int = 2008) -> bytes:
    """The generated template with ``rows`` members numbered from ``first``; distinct IDs."""
    import openpyxl

    from zhtj.domain.ids import resident_id_check_character
    from zhtj.imports import MEMBER_TEMPLATE, template_xlsx

    workbook = openpyxl.load_workbook(io.BytesIO(template_xlsx(MEMBER_TEMPLATE)))
    sheet = workbook[MEMBER_TEMPLATE.sheet_name]
    for index in range(rows):
        day = index // 1000  # 1000 orders per birth day → distinct ID numbers
        birth = date(birth_year, 1 + day // 28 % 12, 1 + day % 28)
        order = index % 1000
        body = f"3201{(first // 1000 + day // 336) % 100:02d}{birth:%Y%m%d}{order:03d}"
        gender = "男" if order % 2 else "女"
        if index % 500 == 499:
            gender = "女" if gender == "男" else "男"  # a failing row (gender against the ID)
        sheet.append([
            _SURNAMES[index % len(_SURNAMES)] + _GIVEN[index // 7 % len(_GIVEN)] + _GIVEN[index // 13 % len(_GIVEN)],
            body + resident_id_check_character(body), gender, "汉族", "共青团员", _JOIN_FORMS[index % 4],
            f"{YEAR}32{first + index:06d}", "初中在读", "初中", f"139{index:08d}", "", "",
        ])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class RssSampler:
    """Peak resident set size of this process while a phase runs (sampled every 50 ms)."""

    def __init__(self) -> None:
        self.peak = self.start = _rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self.peak = self.start = _rss()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, _rss())


def _rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def give_the_school_room(store: Any, rows: int) -> tuple[str, str]:
    """Quota for every holder of the demo school's ancestry and a segment of the school's own."""
    from infra.local.demo import demo_tree
    from zhtj.domain.glossary import Domain
    from zhtj.domain.numbers import Segment

    by_name = {o.name: o for o in demo_tree()}
    school = by_name["南京市玄武区示范初级中学团委"]
    branch = by_name["南京市玄武区示范初级中学初三（1）班团支部"]
    places = rows * 2
    quotas = [(org_id, YEAR, Domain.JUNIOR_HIGH.value, places + 1000, 0) for org_id in school.path]
    store.load_plan(quotas, [(school.org_id, Segment(YEAR, Domain.JUNIOR_HIGH, "32", FIRST_SEQUENCE,
                                                     FIRST_SEQUENCE + places))])
    return school.org_id, branch.org_id


def import_file(api: str, token: str, branch_id: str, data: bytes, name: str, *, progress: bool
                ) -> tuple[dict[str, Any], float]:
    import requests

    headers = {"Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    ticket = requests.post(f"{api}/orgs/{branch_id}/imports", json={"template": "members", "file_name": name},
                           headers=headers, timeout=30).json()
    upload = ticket["upload"]
    posted = requests.post(upload["url"], data=upload["fields"], files={"file": (name, data, upload["content_type"])},
                           timeout=120)
    assert posted.status_code in (200, 201, 204), posted.text
    shown = 0.0
    while True:
        status = requests.get(f"{api}/imports/{ticket['job_id']}", headers=headers, timeout=30).json()
        if status["finished"]:
            return status, time.perf_counter() - started
        now = time.perf_counter()
        if progress and now - shown >= 5:
            shown = now
            print(f"    … {now - started:5.1f} s  {status['status_text']}  "
                  f"{status['rows_done']:,}/{status['rows_total']:,} rows", flush=True)
        time.sleep(0.1)


def figures_entered(container: Any, branch_id: str) -> int:
    """The branch's 2023 初中 entered counter, as the figures consumer keeps it."""
    from zhtj.adapters.dynamodb_figures import DynamoFigures
    from zhtj.domain.figures import ENTERED
    from zhtj.domain.glossary import Domain

    figures = DynamoFigures(container.clients, container.settings.table_name)
    key = (YEAR, Domain.JUNIOR_HIGH.value, branch_id)
    return figures.counters([key]).get(key, {}).get(ENTERED, 0)


def wait_for_figures(container: Any, branch_id: str, expected: int, timeout_s: float = 120) -> bool:
    deadline = time.monotonic() + timeout_s
    while figures_entered(container, branch_id) < expected:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def baselines(client: Any, table: str, items: int, puts: int) -> tuple[float, float]:
    """BatchWriteItem of plain items and conditional PutItem, same server, same table."""
    body = {"name": {"S": "张三丰"}, "mobile": {"S": "13900000000"}, "pad": {"S": "x" * 700}}
    started = time.perf_counter()
    for start in range(0, items, 25):
        request = [{"PutRequest": {"Item": {"pk": {"S": f"BENCH#{i}"}, "sk": {"S": "B"}, **body}}}
                   for i in range(start, min(items, start + 25))]
        pending: dict[str, Any] = {table: request}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    batch = items / (time.perf_counter() - started)
    started = time.perf_counter()
    for i in range(puts):
        client.put_item(TableName=table, Item={"pk": {"S": f"BENCHC#{i}"}, "sk": {"S": "C"}, **body},
                        ConditionExpression="attribute_not_exists(pk)")
    conditional = puts / (time.perf_counter() - started)
    return batch, conditional


def worker_memory(data: bytes) -> tuple[int, int]:
    """Peak RSS of check_import on ``data`` in a fresh interpreter (what the worker holds for
    the whole job: the rows and their results) and of its bounded reader child."""
    import json
    import subprocess
    import tempfile

    # VmHWM, not ru_maxrss: this process is forked from the stack's (GBs), and Linux carries the
    # fork's maxrss across exec into RUSAGE_SELF; the high-water mark of the new image is its own.
    probe = ("import json, resource, sys; from pathlib import Path; from datetime import date; "
             "from zhtj.imports import check_import; "
             "check_import(open(sys.argv[1], 'rb').read(), 'bench.xlsx', today=date(2023, 6, 30)); "
             "hwm = [l for l in Path('/proc/self/status').read_text().splitlines() if l.startswith('VmHWM:')]; "
             "print(json.dumps([int(hwm[0].split()[1]) * 1024, "
             "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024]))")
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as file:
        file.write(data)
        file.flush()
        done = subprocess.run([sys.executable, "-c", probe, file.name], check=True, capture_output=True, text=True,
                              env={"PYTHONPATH": str(ROOT / "functions"), "PATH": "/usr/bin:/bin"})
    own, child = json.loads(done.stdout.strip().splitlines()[-1])
    return int(own), int(child)


def stream_window(stack: Any) -> float:
    from infra.local.pump import SqsPump

    return max((p.trigger.batching_window_s for p in stack._pumps if not isinstance(p, SqsPump)), default=0.0)


def pause_stream_consumers(stack: Any) -> int:
    from infra.local.pump import SqsPump

    paused = 0
    for pump in list(stack._pumps):
        if not isinstance(pump, SqsPump):
            pump.stop()
            stack._pumps.remove(pump)
            paused += 1
    return paused


def main() -> None:
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    with_figures = "--figures" in sys.argv
    rows = int(arguments[0]) if arguments else 20_000
    class_rows = int(arguments[1]) if len(arguments) > 1 else 500
    import requests

    from infra.local.demo import DEMO_PASSWORD
    from infra.local.stack import LocalStack, free_port
    from zhtj import bootstrap
    from zhtj.handlers import import_worker

    stores: list[Any] = []  # every invocation's store: its CountingClient counted its requests
    make_store = import_worker.import_store

    def counted_store(container: Any) -> Any:
        store = make_store(container)
        stores.append(store)
        return store

    import_worker.import_store = counted_store  # type: ignore[assignment]

    started = time.perf_counter()
    big = build_workbook(rows, FIRST_SEQUENCE)
    small = build_workbook(class_rows, FIRST_SEQUENCE + rows + 100, birth_year=2007)
    first_class = build_workbook(class_rows, FIRST_SEQUENCE + rows + class_rows + 200, birth_year=2006)
    warm_up = build_workbook(20, FIRST_SEQUENCE + rows + 2 * class_rows + 300, birth_year=2006)
    print(f"built a {rows:,}-row .xlsx ({len(big) / 2**20:.1f} MiB) and a {class_rows}-row one "
          f"in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    stack = LocalStack(port=free_port(), build=False).start()
    try:
        container = bootstrap.container()
        _, branch_id = give_the_school_room(container.store, rows + 2 * class_rows + 400)
        print(f"local stack up in {time.perf_counter() - started:.1f} s ({stack.aws_url})")
        api = f"{stack.url}/api"
        token = requests.post(f"{api}/auth/login", json={"username": "branch", "password": DEMO_PASSWORD},
                              timeout=30).json()["id_token"]
        # The first import of a process pays its imports and caches (the worker's readers, the
        # handlers): paid here, so that both class-file timings below are warm.
        import_file(api, token, branch_id, warm_up, "warm-up.xlsx", progress=False)
        if with_figures:
            wait_for_figures(container, branch_id, 20)  # the consumer has caught up with the warm-up
            started_at = time.perf_counter()
            status, class_seconds = import_file(api, token, branch_id, first_class, "初三（1）班.xlsx", progress=False)
            print(f"(c'') a {class_rows}-row class file with the figures stream consumer running: "
                  f"{class_seconds:.1f} s: {status['message']}")
            caught_up = wait_for_figures(container, branch_id, 20 + int(status["imported"]))
            print(f"      its members counted in the figures {time.perf_counter() - started_at:.1f} s after the "
                  f"upload request (MaximumBatchingWindowInSeconds {stream_window(stack):g} s)"
                  if caught_up else "      the figures did not catch up within 120 s")
        print(f"paused {pause_stream_consumers(stack)} DynamoDB-stream consumer(s) (figures) for what follows")
        stores.clear()

        status, class_seconds = import_file(api, token, branch_id, small, "初三（1）班.xlsx", progress=False)
        print(f"(c') a {class_rows}-row class file, ask for the upload → result sentence: {class_seconds:.1f} s "
              f"(target ≤ 10 s): {status['message']}; {sum(s.counter.total_requests for s in stores):,} requests")
        stores.clear()

        print(f"(c) full import of {rows:,} rows (upload → worker → result sentence):")
        with RssSampler() as memory:
            status, seconds = import_file(api, token, branch_id, big, "全校.xlsx", progress=True)
        imported = int(status["imported"])
        counted = [s.counter for s in stores]
        requests_total = sum(c.total_requests for c in counted)
        units = sum(c.write_units for c in counted)
        by_operation: dict[str, int] = {}
        for c in counted:
            for operation, n in c.requests.items():
                by_operation[operation] = by_operation.get(operation, 0) + n
        print(f"    {status['message']}  ({status['status_text']})")
        print(f"    {rows:,} rows in {seconds:.1f} s = {rows / seconds:,.0f} rows/s "
              f"({imported / seconds:,.0f} imported rows/s)")
        print(f"    DynamoDB: {requests_total:,} requests = {requests_total / imported:.3f} per imported row; "
              f"{units:,} write units = {units / imported:.2f} per imported row")
        print("    by operation (per imported row): " + ", ".join(
            f"{op} {n:,} ({n / imported:.3f})" for op, n in sorted(by_operation.items(), key=lambda kv: -kv[1])))
        job_key = {"pk": {"S": f"IMPORT#{status['job_id']}"}, "sk": {"S": "JOB"}}
        job_cost = container.clients.client("dynamodb").get_item(
            TableName=container.settings.table_name, Key=job_key, ConsistentRead=True)["Item"]
        print(f"    the job's own record: {int(job_cost['requests']['N']):,} requests, "
              f"{int(job_cost['write_units']['N']):,} write units")
        own, child = worker_memory(big)
        print(f"    peak memory: the stack's process +{(memory.peak - memory.start) / 2**20:.0f} MiB during the import "
              f"(moto holds every item in it too); the worker's offline half in a fresh process {own / 2**20:.0f} MiB, "
              f"its bounded reader child {child / 2**20:.0f} MiB")

        client = container.clients.client("dynamodb")
        puts = 2_000
        batch, conditional = baselines(client, container.settings.table_name, rows, puts)
        print(f"baseline, same run and server: BatchWriteItem {batch:,.0f} items/s ({rows:,} plain items); "
              f"conditional PutItem {conditional:,.0f} puts/s ({puts:,})")
        perfect = conditional / 2
        print(f"ratios: import rows/s ÷ BatchWriteItem items/s = {rows / seconds / batch:.2f}; "
              f"÷ (conditional puts/s ÷ 2, a perfect two-puts-per-row import) = {rows / seconds / perfect:.2f}")
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
