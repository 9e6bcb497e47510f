"""``make load``: a bounded load test of the local stack, on loopback only, that ends with
exact checks of what the load left in the table (issue 9).

It starts its own ``zhtj local`` in a child process on a free port (infra/local/running.py, as
the end-to-end tests do), then, as a setup, creates through the API — as the demo ``nanjing``
admin — one school committee (团委) per admin under the 南京 counties in turn, gives each its
own 2023 初中 places and numbers from its county (``PUT orgs/{county}/plan/{school}``) and a
团支部 below it; an account for each branch (the importer and uploader) and for each school
(the approver, who gets the e-mailed links) is created in the embedded user pool. Then, all
at once with threads:

* each branch admin imports a class file of ``--rows`` members (the real template, posted
  straight to S3, the job polled until its sentence), then asks for and posts each member's
  入团志愿书 PDF (each goes to 待审批: a 团支部's upload waits for its school);
* ``--deciders`` threads read the captured mail at ``/outbox/`` while that runs and open and
  decide every approval link as it arrives (``approval-links/view``, then 同意 with the last
  four digits of the number — the form's first page).

It prints throughput (imports/s, rows/s, uploads/s, decisions/s) and p50/p95 latency of the API
calls per kind, then checks, exactly, on a scan of the table once the figures consumer has
caught up: the figures counters equal a recount from the member items (``zhtj recount``'s
logic) and the figures API shows every school's members; every quota's ``used`` equals the
members stored under it per (organisation, domain, year) and ``remaining`` the rest; no number
is used twice (members, claims, the segments' used sets); every decision is recorded once
(state, the version's decision, one audit entry, no pending item, one 200 per link); every
token was consumed once, with its follow-up done and off the sweeper's list, and every
uploader admin got one outcome e-mail per member. Exits 1 when a check fails.

    .venv/bin/python bench/load_local.py [--admins 20] [--rows 3] [--deciders 8]

Every API call counts in the latencies (the stack's S3 POSTs and the outbox do not). Nothing
asserts a time. ``--admins × --rows`` archives are uploaded and decided: 60 by default, which
finishes in a few minutes on two cores; ``--rows 10`` gives the issue's 200 and takes far
longer, because every upload and decision is a TransactWriteItems (and so is the figures
consumer's answer to it), which moto serves by deep-copying the whole table once per item
under the one write lock (DESIGN.md) — the bound of this stack, not of the design."""

from __future__ import annotations

import argparse
import hashlib
import re
import signal
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
for entry in (ROOT / "functions", ROOT):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

from infra.demo.jiangsu_2023 import CITIES  # noqa: E402
from infra.local.running import RunningStack, start_stack  # noqa: E402
from tests.e2e.test_imports import row  # noqa: E402
from tests.integration.tables import all_items  # noqa: E402
from tests.unit.imports._support import filled_template  # noqa: E402
from tests.unit.readers import pdf_corpus  # noqa: E402
from zhtj.domain.ids import resident_id_check_character  # noqa: E402

YEAR = 2023
DOMAIN = "初中"
PASSWORD = "Load-2023-zhtj"  # accounts of a throw-away local stack
CERTIFIED = "团员身份已认证"
LINK_RE = re.compile(r"/console/approve\.html#t=([A-Za-z0-9_-]{43})")
# the member's name in the subjects of the approval request and of the outcome (zhtj/mail/templates)
PENDING_SUBJECT = re.compile(r"^【待审批】团员电子档案：(.+?)（")
OUTCOME_SUBJECT = re.compile(r"^【审批结果】(.+?)的团员电子档案")
DIGITS = "零一二三四五六七八九"


def chinese(n: int) -> str:
    """Digits as characters: names take no digits, and each member's name must be unique."""
    return "".join(DIGITS[int(d)] for d in str(n))


# ------------------------------------------------------------------ measuring
@dataclass
class Latencies:
    """Every API call's wall time, per kind (thread-safe)."""

    calls: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def call(self, kind: str, send: Callable[[], requests.Response]) -> requests.Response:
        start = time.perf_counter()
        response = send()
        with self.lock:
            self.calls[kind].append(time.perf_counter() - start)
        return response

    def table(self) -> list[str]:
        lines = [f"  {'API call':<36}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"]
        everything = [t for times in self.calls.values() for t in times]
        for kind, times in [*sorted(self.calls.items()), ("(all API calls)", everything)]:
            lines.append(f"  {kind:<36}{len(times):>6}{percentile(times, 50):>9.0f}{percentile(times, 95):>9.0f}"
                         f"{max(times) * 1000:>9.0f}")
        return lines


def percentile(times: list[float], p: int) -> float:
    """Milliseconds; the nearest-rank percentile (exact on the values measured)."""
    ordered = sorted(times)
    return ordered[max(0, -(-len(ordered) * p // 100) - 1)] * 1000


@dataclass
class Span:
    """First start and last end of many overlapping actions (thread-safe)."""

    first: float | None = None
    last: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, start: float, end: float) -> None:
        with self.lock:
            self.first = start if self.first is None else min(self.first, start)
            self.last = end if self.last is None else max(self.last, end)

    @property
    def seconds(self) -> float:
        return (self.last or 0.0) - (self.first or 0.0)


# ------------------------------------------------------------------ the setup
@dataclass
class Unit:
    """One admin's share: its school (the approver's organisation), branch and numbers."""

    index: int
    school_id: str
    branch_id: str
    numbers: list[str]

    @property
    def uploader(self) -> str:
        return f"load{self.index:03d}"

    @property
    def approver(self) -> str:
        return f"load{self.index:03d}s"

    def name(self, n: int) -> str:
        return f"负载{chinese(self.index)}班{chinese(n)}"

    def resident_id(self, n: int) -> str:
        """Valid, 14 or 15 years old in 2023 and unique: the birth day from the admin, the order
        from the row (odd: 男, as the template row says)."""
        body = f"3201052008{1 + self.index // 28 % 12:02d}{1 + self.index % 28:02d}{2 * n + 1:03d}"
        return body + resident_id_check_character(body)


def setup(stack: RunningStack, container: Any, admins: int, rows: int, latencies: Latencies) -> list[Unit]:
    nanjing = stack.session("nanjing")
    counties = [c.county_id for c in next(city for city in CITIES if city.code == "3201").counties]
    units = []
    for index in range(admins):
        county = counties[index % len(counties)]
        school = created(latencies.call("setup: create org", lambda county=county, index=index: nanjing.post(
            stack.api(f"orgs/{county}/children"), timeout=60,
            json={"name": f"南京市负载测试第{chinese(index)}中学团委", "short_name": f"负载{chinese(index)}中团委",
                  "kind": "团委", "industry": DOMAIN})))
        given = latencies.call("setup: distribute plan", lambda county=county, school=school: nanjing.put(
            stack.api(f"orgs/{county}/plan/{school}"), params={"year": YEAR}, timeout=120,
            json={"domain": DOMAIN, "quota": rows}))
        if given.status_code != 200:
            raise SystemExit(f"distributing {rows} places to {school} failed: {given.text}")
        numbers = [str(n) for m in given.json()["moved"] for n in range(int(m["first_number"]),
                                                                         int(m["last_number"]) + 1)]
        branch = created(latencies.call("setup: create org", lambda school=school, index=index: nanjing.post(
            stack.api(f"orgs/{school}/children"), timeout=60,
            json={"name": f"南京市负载测试第{chinese(index)}中学初三（1）班团支部", "short_name": "初三（1）班团支部",
                  "kind": "团支部", "industry": DOMAIN})))
        unit = Unit(index, school, branch, numbers[:rows])
        for username, org_id in ((unit.uploader, branch), (unit.approver, school)):
            container.identity.create_admin(username=username, password=PASSWORD, org_id=org_id, role="admin",
                                            email=f"{username}@load.zhtj.local")
        units.append(unit)
    return units


def created(response: requests.Response) -> str:
    if response.status_code != 201:
        raise SystemExit(f"creating an organisation failed: {response.status_code} {response.text}")
    return str(response.json()["org_id"])


# ------------------------------------------------------------------ the load
@dataclass
class Load:
    stack: RunningStack
    units: list[Unit]
    latencies: Latencies = field(default_factory=Latencies)
    imports: Span = field(default_factory=Span)
    uploads: Span = field(default_factory=Span)
    decisions: Span = field(default_factory=Span)
    import_results: dict[int, dict[str, Any]] = field(default_factory=dict)
    upload_asked: dict[str, float] = field(default_factory=dict)  # member name → when its upload was asked
    posted: int = 0  # PDFs posted to S3 (each should bring one approval e-mail)
    answers: Counter[tuple[str, int]] = field(default_factory=Counter)  # (token, status) of every decision
    tokens_of: dict[str, str] = field(default_factory=dict)  # token → member name
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def members(self) -> int:
        return sum(len(u.numbers) for u in self.units)

    def numbers_by_name(self) -> dict[str, str]:
        return {u.name(n): number for u in self.units for n, number in enumerate(u.numbers)}

    # ------------------------------------------------------------ one branch admin
    def admin(self, unit: Unit) -> None:
        session = self.stack.session(unit.uploader, PASSWORD)
        api = self.stack.api
        rows = [row(n, number, 姓名=unit.name(n), 身份证号码=unit.resident_id(n))
                for n, number in enumerate(unit.numbers)]
        start = time.perf_counter()
        asked = self.latencies.call("POST orgs/{id}/imports", lambda: session.post(
            api(f"orgs/{unit.branch_id}/imports"), timeout=60,
            json={"template": "members", "file_name": "初三（1）班.xlsx", "dry_run": False}))
        ticket = asked.json()
        target = ticket["upload"]
        posted = requests.post(target["url"], data=target["fields"], timeout=60,
                               files={"file": ("初三（1）班.xlsx", filled_template(rows), target["content_type"])})
        posted.raise_for_status()
        while True:
            status = self.latencies.call("GET imports/{job}", lambda: session.get(
                api(f"imports/{ticket['job_id']}"), timeout=60)).json()
            if status["finished"]:
                break
            time.sleep(0.5)
        self.imports.add(start, time.perf_counter())
        self.import_results[unit.index] = status
        if status["imported"] != len(rows):
            self.error(f"{unit.uploader}: {status['message']} {status.get('failures')}")
        members: list[dict[str, Any]] = []
        after = None
        while True:
            page = self.latencies.call("GET orgs/{id}/members", lambda after=after: session.get(
                api(f"orgs/{unit.branch_id}/members"), params={"after": after} if after else None, timeout=60)).json()
            members += page["items"]
            after = page["next"]
            if not after:
                break
        for member in members:
            name = str(member["name"])
            asked_at = time.perf_counter()
            with self.lock:
                self.upload_asked[name] = asked_at
            upload = self.latencies.call("POST members/{id}/archive/uploads", lambda member=member: session.post(
                api(f"members/{member['member_id']}/archive/uploads"), timeout=60))
            if upload.status_code != 201:
                self.error(f"{name}: upload refused {upload.status_code} {upload.text}")
                continue
            form = upload.json()
            pdf = pdf_corpus.text_pdf(number=str(member["member_number"]), pages=4, lines_per_page=5)
            requests.post(form["url"], data=form["fields"], timeout=60,
                          files={"file": ("入团志愿书.pdf", pdf, "application/pdf")}).raise_for_status()
            with self.lock:
                self.posted += 1

    def guarded(self, action: Callable[..., None], *args: Any) -> None:
        """A thread's failure is the run's error, reported with the checks (not a traceback that hides them)."""
        try:
            action(*args)
        except Exception as exc:
            self.error(f"{action.__name__}: {type(exc).__name__}: {exc}")

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)

    # ------------------------------------------------------------ the approvers
    def decide(self, token: str, number: str) -> None:
        api = self.stack.api
        start = time.perf_counter()
        shown = self.latencies.call("POST approval-links/view", lambda: requests.post(
            api("approval-links/view"), json={"token": token}, timeout=120))
        if shown.status_code != 200 or shown.json()["member"]["number_shown"] != number[:8]:
            self.error(f"link view {shown.status_code} {shown.text[:200]}")
        answer = self.latencies.call("POST approval-links/decision", lambda: requests.post(
            api("approval-links/decision"), json={"token": token, "approve": True, "last_four": number[-4:]},
            timeout=120))
        self.decisions.add(start, time.perf_counter())
        with self.lock:
            self.answers[(token, answer.status_code)] += 1
        if answer.status_code != 200:
            self.error(f"decision {answer.status_code} {answer.text[:200]}")

    def run(self, deciders: int, timeout_s: float) -> None:
        numbers = self.numbers_by_name()
        approvers = {f"{u.approver}@load.zhtj.local" for u in self.units}
        with ThreadPoolExecutor(len(self.units)) as admins, ThreadPoolExecutor(deciders) as decide:
            work = [admins.submit(self.guarded, self.admin, unit) for unit in self.units]
            pending: list[Future[None]] = []
            deadline = time.monotonic() + timeout_s
            shown = time.monotonic()
            while time.monotonic() < deadline:
                if time.monotonic() - shown > 10:  # progress, so a slow run is seen to be alive
                    shown = time.monotonic()
                    print(f"  … imports {len(self.import_results)}/{len(self.units)}, PDFs posted {self.posted}, "
                          f"links {len(self.tokens_of)}, decided {sum(self.answers.values())}",
                          file=sys.stderr, flush=True)
                if all(w.done() for w in work) and len(self.tokens_of) >= self.posted:
                    break  # every admin finished and every posted PDF brought its link
                for message in requests.get(f"{self.stack.url}/outbox/messages.json", timeout=60).json()["messages"]:
                    subject = PENDING_SUBJECT.match(str(message["subject"]))
                    if not set(message["to"]) & approvers or subject is None:
                        continue
                    for token in set(LINK_RE.findall(message["body"])) - set(self.tokens_of):
                        name = subject.group(1)
                        if name not in numbers:
                            self.error(f"an approval mail for nobody of this run: {message['subject']}")
                            continue
                        self.tokens_of[token] = name
                        self.uploads.add(self.upload_asked.get(name, time.perf_counter()), time.perf_counter())
                        pending.append(decide.submit(self.guarded, self.decide, token, numbers[name]))
                time.sleep(0.5)
            for future in [*work, *pending]:
                future.result()
        if len(self.tokens_of) < self.members:
            self.error(f"only {len(self.tokens_of)} of {self.members} approval links arrived in {timeout_s:.0f} s")


# ------------------------------------------------------------------ the checks
def settled_drifts(container: Any, timeout_s: float) -> list[Any]:
    """The recount's drifts once the figures consumer has caught up with the stream (it lags
    the writes; a drift that stays is a real one)."""
    from zhtj.adapters.dynamodb_figures import DynamoFigures
    from zhtj.services.figures import recount

    store = DynamoFigures(container.clients, container.settings.table_name)
    deadline = time.monotonic() + timeout_s
    while True:
        drifts, _ = recount(store, year=YEAR)
        if not drifts or time.monotonic() > deadline:
            return drifts
        time.sleep(1)


class Checks:
    def __init__(self) -> None:
        self.failed = 0
        self.lines: list[str] = []

    def check(self, what: str, problems: Iterable[str]) -> None:
        found = list(problems)
        self.failed += bool(found)
        self.lines.append(f"  {'✓' if not found else '✗'} {what}" + ("" if not found else f" — {len(found)}:"))
        self.lines += [f"      {p}" for p in found[:10]]


def check(load: Load, container: Any, settle_s: float) -> Checks:
    checks = Checks()
    drifts = settled_drifts(container, settle_s)
    checks.check("figures counters = a recount from the member items (zhtj recount)",
                 (f"{d.key} {d.figure}: stored {d.stored}, recount {d.recomputed}" for d in drifts))
    items = all_items(container)
    members = {str(i["member_id"]): i for i in items if i.get("type") == "member"}
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        by_type[str(item.get("type"))].append(item)

    problems = []
    for unit in load.units:
        session = load.stack.session(unit.approver, PASSWORD)
        body = session.get(load.stack.api(f"orgs/{unit.school_id}/figures"), params={"year": YEAR},
                           timeout=60).json()
        shown = next(d for d in body["domains"] if d["domain"] == DOMAIN)
        stored = [m for m in members.values() if unit.school_id in m["branch_path"]]
        expected = {"entered": len(stored), "certified": sum(m["archive_state"] == CERTIFIED for m in stored),
                    "pending": 0, "used": len(stored)}
        if {k: shown[k] for k in expected} != expected or len(stored) != len(unit.numbers):
            problems.append(f"{unit.school_id}: figures {({k: shown[k] for k in expected})}, "
                            f"table {expected}, rows {len(unit.numbers)}")
    checks.check("figures API of every school = its members in the table (entered, certified, used)", problems)

    problems = []
    for quota in by_type["quota"]:
        _, year, domain = str(quota["pk"]).split("#")
        org_id = str(quota["sk"]).removeprefix("ORG#")
        under = sum(1 for m in members.values() if int(m["join_year"]) == int(year) and m["domain"] == domain
                    and org_id in m["branch_path"])
        if (int(quota["used"]), int(quota["remaining"])) != (under, int(quota["quota"]) - under):
            problems.append(f"{org_id} {year} {domain}: used {quota['used']}, remaining {quota['remaining']}, "
                            f"quota {quota['quota']}, members {under}")
    checks.check(f"quota used = members stored per (org, domain, year) ({len(by_type['quota'])} quota items)",
                 problems)

    numbers = Counter(str(m["member_number"]) for m in members.values())
    claims = {str(c["pk"]).removeprefix("NUMBER#"): str(c["owner"]) for c in by_type["claim"]}
    problems = [f"{n} used {k} times" for n, k in numbers.items() if k > 1]
    problems += [f"{m['member_number']}: claim owned by {claims.get(str(m['member_number']))}"
                 for m in members.values() if claims.get(str(m["member_number"])) != m["member_id"]]
    problems += [f"{len(claims)} number claims for {len(members)} members"] if len(claims) != len(members) else []
    used_in_segments: Counter[tuple[int, str, int]] = Counter()
    for segment in by_type["segment"]:
        used_in_segments.update((int(segment["year"]), str(segment["domain"]), int(s))
                                for s in segment.get("used_sequences") or ())
    from_members = Counter((int(m["join_year"]), str(m["domain"]), int(str(m["member_number"])[-6:]))
                           for m in members.values())
    problems += [f"sequence {k}: {n} in segments, {from_members[k]} members"
                 for k, n in (used_in_segments | from_members).items() if used_in_segments[k] != from_members[k]]
    checks.check(f"no number used twice ({len(members)} members, claims, segments' used sets)", problems)

    names = set(load.numbers_by_name())
    ours = {mid: m for mid, m in members.items() if m["name"] in names}
    audits = Counter(str(a["member_id"]) for a in by_type["audit"] if a.get("action") == "archive_approved")
    versions = {str(v["member_id"]): v for v in by_type["archive_version"]}
    pending = {str(p["member_id"]) for p in by_type["pending"]}
    problems = [f"{len(ours)} of {len(names)} members stored"] if len(ours) != len(names) else []
    for member_id, member in ours.items():
        version = versions.get(member_id) or {}
        if (member["archive_state"], audits[member_id], version.get("decision"), version.get("decided_via"),
                member_id in pending) != (CERTIFIED, 1, "approved", "link", False):
            problems.append(f"{member['name']}: {member['archive_state']}, {audits[member_id]} approvals, "
                            f"version {version.get('decision')} via {version.get('decided_via')}, "
                            f"pending {member_id in pending}")
    answered = Counter(token for token, status in load.answers.elements() if status == 200)
    problems += [f"link of {load.tokens_of[t]}: {answered[t]} answers 200" for t in load.tokens_of if answered[t] != 1]
    checks.check(f"every decision recorded once ({len(ours)} members: state, decision, one audit entry, "
                 "no pending item, one 200 per link)", problems)

    hashes = {hashlib.sha256(t.encode("ascii")).hexdigest(): t for t in load.tokens_of}
    links = {str(i["pk"]).removeprefix("APPROVALLINK#"): i for i in by_type["approval_link"]
             if str(i["member_id"]) in ours}
    problems = [f"link of {load.tokens_of[t]} not stored" for h, t in hashes.items() if h not in links]
    for digest, link in links.items():
        used = digest in hashes
        state = (bool(link.get("consumed_at")), link.get("consumed_decision"), bool(link.get("followup_due")),
                 bool(link.get("claim_id")), bool(link.get("followed_up_at")), "gsi1pk" in link)
        done = (True, "approved", False, False, True, False)  # … and off the sweeper's list (gsi1 FOLLOWUPS)
        if state != (done if used else (False, None, False, False, False, False)):
            problems.append(f"link of {ours[str(link['member_id'])]['name']} (used: {used}): {state}")
    outcome: Counter[tuple[tuple[str, ...], str]] = Counter()
    for message in requests.get(f"{load.stack.url}/outbox/messages.json", timeout=60).json()["messages"]:
        if subject := OUTCOME_SUBJECT.match(str(message["subject"])):
            outcome[(tuple(message["to"]), subject.group(1))] += 1
    uploader_of = {u.name(n): f"{u.uploader}@load.zhtj.local" for u in load.units for n in range(len(u.numbers))}
    problems += [f"{name}: {outcome[((uploader_of[name],), name)]} outcome e-mails" for name in names
                 if outcome[((uploader_of[name],), name)] != 1]
    checks.check(f"every token consumed once, its follow-up done and unlisted ({len(hashes)} links), "
                 "one outcome e-mail each",
                 problems)
    return checks


# ------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admins", type=int, default=20, help="branch admins importing and uploading at once")
    parser.add_argument("--rows", type=int, default=10,
                        help="members per class file (= uploads and decisions per admin)")
    parser.add_argument("--deciders", type=int, default=8, help="threads deciding links as they arrive")
    parser.add_argument("--timeout", type=float, default=900, help="seconds the load may take before it is failed")
    args = parser.parse_args(argv)

    from zhtj import bootstrap
    from zhtj.cli.remind import _local_environment
    from zhtj.settings import Settings

    # SIGTERM (a CI timeout) stops the stack as Ctrl-C does: the finally below runs
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(f"stopped by signal {signum}"))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="zhtj-load-") as work:
        stack = start_stack(Path(work), build_site=False)
        try:
            container = bootstrap.build(Settings.from_environ(
                _local_environment(stack.aws_endpoint(), "local", stack.url)))
            latencies = Latencies()
            units = setup(stack, container, args.admins, args.rows, latencies)
            setup_s = time.perf_counter() - started
            load = Load(stack, units)
            began = time.perf_counter()
            load.run(args.deciders, args.timeout)
            wall = time.perf_counter() - began
            checks = check(load, container, settle_s=120)
        finally:
            stack.stop()
    rows = sum(int(r["imported"]) for r in load.import_results.values())
    decided = sum(n for (_, status), n in load.answers.items() if status == 200)
    print(f"make load: {args.admins} admins × {args.rows} rows, {args.deciders} decision threads, "
          f"local stack on loopback (setup {setup_s:.1f} s, load {wall:.1f} s)")
    imports = len(load.import_results)
    print(f"  imports    {imports:>5}  in {load.imports.seconds:6.1f} s  "
          f"{imports / load.imports.seconds:6.2f} imports/s  {rows / load.imports.seconds:6.1f} rows/s")
    print(f"  uploads    {len(load.tokens_of):>5}  in {load.uploads.seconds:6.1f} s  "
          f"{len(load.tokens_of) / load.uploads.seconds:6.2f} uploads/s (asked → approval e-mail sent)")
    print(f"  decisions  {decided:>5}  in {load.decisions.seconds:6.1f} s  "
          f"{decided / load.decisions.seconds:6.2f} decisions/s (link view + 同意)")
    print("\n".join(load.latencies.table()))
    print("checks:")
    print("\n".join(checks.lines))
    for error in load.errors[:20]:
        print(f"  error: {error}")
    failed = checks.failed + bool(load.errors)
    print("PASS" if not failed else f"FAIL ({checks.failed} checks failed, {len(load.errors)} errors)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
