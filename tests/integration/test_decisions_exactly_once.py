"""A link decision (同意 through the e-mailed link) is applied exactly once when the process
deciding it is killed between any two of its writes and the approver retries the same link
(issue 9: "a crash in the middle of … a decision, then a retry, leaves exactly the state of one
clean run").

The decision runs as the API function would, in a child process of its own against a moto
server on loopback (tests/integration/decision_process.py), and is SIGKILLed before its
*k*-th write, for every *k* of a clean run: the link's claim, the decision's transaction (the
member, the version's decision, the pending item, the audit entry, the link's consumption),
each outcome e-mail and its sent-marker, the end of the follow-up — and once not at all. The
approver then retries the link (after the dead attempt's lease ran out), the figures consumer
reads the table's stream — each batch delivered twice, as after a consumer killed between its
transaction and its checkpoint — and the whole table and the mails sent are compared with a
clean run's, each run in a copy of the same start state.

The one difference allowed is the one no design can close without SES in the transaction: a
process killed after SES accepted an outcome e-mail and before its marker was written makes
the retry send that one e-mail again. The test asserts exactly that repeat, and nothing else."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import requests

from infra.local.moto_fidelity import make_dynamodb_writes_atomic
from infra.local.pump import SqsPump
from infra.local.resources import LocalResources, create_resources
from infra.local.stack import LOCAL_CREDENTIALS, free_port, ses_outbox
from infra.local.stream_pump import StreamPump, stream_triggers, streams_client
from infra.local.template import load_template, queue_triggers
from tests.conftest import ROOT
from tests.integration.tables import all_items, copy_items, table_like
from tests.integration.test_approvals import school_tree
from tests.unit.readers import pdf_corpus
from zhtj import bootstrap
from zhtj.bootstrap import Container
from zhtj.domain.glossary import Role
from zhtj.domain.orgs import Principal
from zhtj.handlers import figures_worker, workers
from zhtj.services import approvals, archives
from zhtj.services.members import QuotaUse
from zhtj.settings import Settings

NUMBER = "202332000231"
PASSWORD = "Integration-2023-x"
UPLOADERS = ("branch1", "branch2")  # two admins of the uploading branch: two outcome e-mails
LINK_RE = re.compile(r"approve\.html#t=([A-Za-z0-9_-]{43})")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?\+00:00")
_SHOWN = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}（北京时间）")
# Differ between two clean runs by design: random per attempt or per message, or derived from the clock.
_VOLATILE = frozenset({"claim_id", "claim_until", "message_id", "expires_at"})


@dataclass
class Server:
    url: str
    resources: LocalResources
    session: Any

    def settings(self) -> Settings:
        return Settings.from_environ({**self.resources.environment, "ZHTJ_AWS_ENDPOINT_URL": self.url,
                                      "AWS_REGION": "us-east-1"})


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """A moto server on loopback (what ``zhtj local`` embeds): the child processes and this one
    reach the same DynamoDB, S3, SES and Cognito over HTTP."""
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as patch:
        for key, value in LOCAL_CREDENTIALS.items():
            patch.setenv(key, value)
        make_dynamodb_writes_atomic()
        port = free_port()
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        moto.start()
        url = f"http://127.0.0.1:{port}"
        session = boto3.session.Session()
        try:
            resources = create_resources(session, endpoint_url=url,
                                         parameters={"Stage": "test", "SiteOrigin": "http://127.0.0.1:8000"})
            yield Server(url, resources, session)
        finally:
            bootstrap.reset()
            moto.stop()


@dataclass
class Seed:
    container: Container
    token: str


def drain(container: Container, pump: StreamPump) -> None:
    """The figures consumer over the table's stream, every batch delivered twice (a consumer
    killed after its transaction, before the mapping's checkpoint, gets the batch again)."""
    bootstrap.reset(container)
    pump.drain()
    assert not pump.stats.errors and pump.stats.sent_to_dlq == 0, pump.stats.errors


def twice(event: dict[str, Any], context: Any) -> Any:
    figures_worker.handler(event, context)
    return figures_worker.handler(event, context)


def stream_pump(server: Server, container: Container, *, latest: bool) -> StreamPump:
    trigger = stream_triggers(load_template())[0]
    if latest:  # a copied table: its inserts are the seed's history, counted there already
        trigger = replace(trigger, starting_position="LATEST")
    ddb = server.session.client("dynamodb", endpoint_url=server.url)
    arn = ddb.describe_table(TableName=container.settings.table_name)["Table"]["LatestStreamArn"]
    return StreamPump(streams_client(server.session, endpoint_url=server.url), trigger, arn, handler=twice)


@pytest.fixture(scope="module")
def seed(server: Server) -> Seed:
    """A school whose branch uploaded a member's archive: 待审批, the school's admin e-mailed a
    link, the figures consumed. Every run starts from a copy of this table."""
    container = bootstrap.build(server.settings())
    orgs = school_tree()
    branch = orgs["b1"]
    container.store.add_many(orgs.values())
    container.store.load_plan([(org, 2023, "初中", 10, 0) for org in ("32", "3201", "320102", "sch")], [])
    for username, org_id in (("school1", "sch"), *((u, "b1") for u in UPLOADERS)):
        container.identity.create_admin(username=username, password=PASSWORD, org_id=org_id, role="admin",
                                        email=f"{username}@test.zhtj.local")
    member_id = "a" * 32
    container.store.register_member({
        "member_id": member_id, "name": "李晓华", "member_number": NUMBER, "join_year": 2023, "join_month": 4,
        "branch_id": branch.org_id, "branch_name": branch.name, "branch_path": list(branch.path), "domain": "初中",
        "archive_state": "尚未认证", "archive_version": 0, "resident_id": "320102200801051234", "gender": "女",
        "ethnicity": "汉族", "created_at": "2023-05-01", "created_by": "tester", "segment_holder": "sch",
    }, member_number=NUMBER, counters=[QuotaUse(2023, "初中", org) for org in ("32", "3201", "320102", "sch")])

    principal = Principal(username=UPLOADERS[0], org_id="b1", org_path=branch.path, role=Role.ADMIN)
    ticket = archives.request_upload(principal, member_id, directory=container.store, orgs=container.store,
                                     ledger=container.archives, files=container.archive_files, expires_in=300,
                                     now=datetime.now(UTC))
    posted = requests.post(ticket.url, data=ticket.fields, timeout=30, files={
        "file": ("a.pdf", pdf_corpus.text_pdf(number=NUMBER, pages=3, lines_per_page=4), "application/pdf")})
    assert posted.status_code in (200, 201, 204), posted.text
    bootstrap.reset(container)
    trigger = queue_triggers(load_template())[0]
    sqs = server.session.client("sqs", endpoint_url=server.url)
    pump = SqsPump(sqs, trigger, queue_url=server.resources.physical("UploadQueue"),
                   queue_arn=server.resources.attribute("UploadQueue", "Arn"), retry_delay_s=0, wait_s=0,
                   handler=workers.upload_handler)
    while pump.poll_once():
        pass
    assert pump.stats.failed == 0, pump.stats.errors
    drain(container, stream_pump(server, container, latest=False))
    (mail,) = [m for m in ses_outbox() if m["to"] == ["school1@test.zhtj.local"] and "待审批" in m["subject"]]
    (token,) = set(LINK_RE.findall(mail["body"]))
    return Seed(container, token)


# ------------------------------------------------------------------ one run
@dataclass
class Run:
    state: list[str]
    mails: Counter[tuple[str, str, str]]
    answer: tuple[int, str | None] | None  # the child's answer, when it was not killed
    retry: str | None  # the retry's outcome (decided | a refusal's code), when there was one
    writes: list[tuple[str, str | None]]


def normalised(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: "<volatile>" if k in _VOLATILE else normalised(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [normalised(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(normalised(v) for v in value)
    if isinstance(value, str):
        return _SHOWN.sub("<time>", _ISO.sub("<time>", value))
    return value


def table_state(container: Container) -> list[str]:
    """Every item but the consumer's per-member stream watermarks (sequence numbers of each
    copy's own stream), times and random ids masked: the member and its archive state, the
    versions and their decision, the pending item, the audit entries, the link (consumed once,
    its follow-up done), the e-mail markers, the figures counters and the quota counters."""
    return sorted(json.dumps(normalised(i), ensure_ascii=False, sort_keys=True, default=str)
                  for i in all_items(container) if i.get("type") != "stream_watermark")


def mail_key(message: Mapping[str, Any]) -> tuple[str, str, str]:
    return (",".join(message["to"]), str(message["subject"]), normalised(str(message["body"])))


def child(server: Server, container: Container, token: str, kill_before: int | None
          ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **container.settings.as_environ(), **LOCAL_CREDENTIALS,
           "PYTHONPATH": f"{ROOT / 'functions'}{os.pathsep}{ROOT}"}
    command = [sys.executable, "-m", "tests.integration.decision_process", "--table", container.settings.table_name,
               # "=": a token is URL-safe base64 and may begin with "-", which argparse would
               # take for an option (a CI run failed on one such token).
               f"--token={token}", "--last-four", NUMBER[-4:]]
    if kill_before is not None:
        command += ["--kill-before", str(kill_before)]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False)


def run(server: Server, seed: Seed, name: str, kill_before: int | None) -> Run:
    container = table_like(seed.container, name, stream=True)
    copy_items(seed.container, container, keep=lambda item: item.get("type", {}).get("S") != "stream_watermark")
    pump = stream_pump(server, container, latest=True)
    sent_before = len(ses_outbox())
    done = child(server, container, seed.token, kill_before)
    answer, writes, retry = None, [], None
    if done.returncode == 0:
        report = json.loads(done.stdout.strip().splitlines()[-1])
        answer, writes = (report["status"], report["code"]), [tuple(w) for w in report["writes"]]
    else:
        assert done.returncode == -9, (done.returncode, done.stderr[-3000:])  # SIGKILL, nothing else
    if kill_before is not None:
        # The approver retries the same link, in another process (here: a fresh container), once
        # the dead attempt's lease has run out.
        fresh = bootstrap.build(container.settings)
        ctx = bootstrap.link_context(fresh)
        later = datetime.now(UTC) + timedelta(seconds=approvals.CLAIM_LEASE_SECONDS + 1)
        try:
            approvals.decide_by_link(seed.token, approve=True, reason=None, last_four=NUMBER[-4:], ctx=ctx,
                                     now=later)
            retry = "decided"
        except approvals.LinkRefused as refused:
            retry = refused.code
    drain(container, pump)
    mails = Counter(mail_key(m) for m in ses_outbox()[sent_before:])
    return Run(table_state(container), mails, answer, retry, writes)


@pytest.fixture(scope="module")
def clean(server: Server, seed: Seed) -> Run:
    result = run(server, seed, "zhtj-decision-clean", None)
    assert result.answer == (200, None)
    assert [op for op, _ in result.writes] == [
        "update_item",  # the link's claim
        "transact_write_items",  # member, version's decision, pending item, audit entry, the link consumed
        "send_templated_email", "put_item",  # the outcome to one uploader admin, its marker
        "send_templated_email", "put_item",  # and to the other
        "update_item",  # the follow-up done, the claim given back
    ], result.writes
    assert sorted(to for (to, subject, _), n in result.mails.items() for _ in range(n)) == [
        f"{u}@test.zhtj.local" for u in UPLOADERS]
    assert any('"archive_state": "团员身份已认证"' in item and '"sk": "MEMBER"' in item for item in result.state)
    return result


# ------------------------------------------------------------------ the crashes
def test_a_clean_run_records_one_decision_consumes_the_link_once_and_counts_once(clean: Run) -> None:
    items = [json.loads(i) for i in clean.state]
    audits = [i for i in items if i.get("type") == "audit" and i.get("action") == "archive_approved"]
    assert len(audits) == 1 and audits[0]["via"] == approvals.VIA_LINK
    (link,) = [i for i in items if i.get("type") == "approval_link" and i.get("consumed_at")]
    assert link["consumed_decision"] == "approved" and "followup_due" not in link and "claim_id" not in link
    assert not [i for i in items if i.get("type") == "pending"]
    school = next(i for i in items if i["pk"] == "FIGURES#2023#初中" and i["sk"] == "ORG#sch")
    assert (school.get("pending", 0), school.get("certified")) == (0, 1), school


def test_a_kill_before_any_write_then_a_retry_equals_one_clean_run(server: Server, seed: Seed, clean: Run) -> None:
    """For every point of a clean run (before write 1 … after the last), a killed decision and
    the approver's retry end in the clean run's state, with the clean run's e-mails."""
    transaction = [op for op, _ in clean.writes].index("transact_write_items") + 1
    for kill_before in range(1, len(clean.writes) + 2):
        crashed = run(server, seed, f"zhtj-decision-k{kill_before}", kill_before)
        where = f"killed before write {kill_before} of {len(clean.writes)}"
        assert crashed.state == clean.state, where
        expected = Counter(clean.mails)
        last = clean.writes[kill_before - 2] if kill_before >= 2 else None
        if last is not None and last[0] == "send_templated_email" and kill_before <= len(clean.writes):
            # SES took this one, the process died before its marker: the retry sends it again
            expected.update([next(k for k in clean.mails if k[0] == last[1])])
        assert crashed.mails == expected, where
        # a retry after the transaction hears 已处理 (and finished what the dead attempt left)
        assert crashed.retry == ("decided" if kill_before <= transaction else "already_decided"), where
        if kill_before > len(clean.writes):  # not killed at all: the answer was the clean run's
            assert crashed.answer == (200, None)
