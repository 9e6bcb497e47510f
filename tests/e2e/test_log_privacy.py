"""Privacy (issue 9 §6): no ID-card number in the stack's log, in any S3 key or URL the API
hands out, or in any e-mail, after a short end-to-end run with error paths: a member entered,
a duplicate and two invalid entries refused, an upload that is not a PDF and an upload whose
first page shows the member's ID number where the development number belongs — both refused
by the upload worker, which logs every upload it processes.

The log is the child process's whole output (Powertools' JSON lines of the API and the worker,
the pump, MkDocs): it is scanned for the exact numbers used here and for anything else that is
a valid GB 11643 number. Masked forms (``320*************12``) are allowed.

Members are entered with numbers of the demo school's segment taken from the top
(202332000120 downwards): tests/e2e/test_archives.py takes 101 upwards; both skip a number
already used."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import requests

from tests.e2e.conftest import RunningStack
from tests.e2e.test_members import form, resident_id
from tests.unit.readers import pdf_corpus
from zhtj.domain.ids import RESIDENT_ID_PATTERN, resident_id_check_character

pytestmark = pytest.mark.e2e

_NUMBERS = iter(range(120, 100, -1))


def new_member(stack: RunningStack, name: str, person: str | None = None) -> tuple[str, str]:
    """A new member of the demo ``branch`` (初三（1）班); returns (member_id, ID number)."""
    session = stack.session("branch")
    branch = session.get(stack.api("me"), timeout=10).json()["org"]["org_id"]
    person = person or resident_id()
    for sequence in _NUMBERS:
        response = session.post(stack.api(f"orgs/{branch}/members"), timeout=10, json=form(**{
            "姓名": name, "身份证号码": person, "发展团员编号": f"2023320{sequence:05d}"}))
        if response.status_code == 201:
            return str(response.json()["member_id"]), person
        assert response.status_code == 409 and response.json()["code"] == "number_used", response.text
    pytest.fail("no free number left in the demo school's segment")


def valid_resident_ids(text: str) -> set[str]:
    """Every substring that is a complete, valid ID number (check character and birth date)."""
    found = set()
    for match in RESIDENT_ID_PATTERN.finditer(text):
        number = match.group().upper().replace("Ｘ", "X").replace("ｘ", "X")
        try:
            datetime.strptime(number[6:14], "%Y%m%d")
        except ValueError:
            continue
        if resident_id_check_character(number[:17]) == number[17]:
            found.add(number)
    return found


def strings(value: Any) -> Iterator[tuple[str, str]]:
    """(key, string) for every string in a JSON value, with the key it sits under."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str):
                yield str(key), item
            else:
                yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def url_like(key: str, value: str) -> bool:
    return value.startswith(("http://", "https://", "/")) or key.lower() in ("url", "key", "s3_key", "href", "location")


def wait_processed(session: requests.Session, stack: RunningStack, member_id: str, upload_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        view = session.get(stack.api(f"members/{member_id}/archive"), timeout=10).json()
        mine = [u for u in view.get("uploads", []) if u.get("upload_id") == upload_id]
        if mine and mine[0].get("status") != "requested":
            return dict(view)
        time.sleep(0.3)
    pytest.fail("the upload worker did not process the upload in time")


def post_to_s3(stack: RunningStack, ticket: dict[str, Any], data: bytes) -> None:
    response = requests.post(ticket["url"], data=ticket["fields"], headers={"Origin": stack.url}, timeout=30,
                             files={"file": ("入团志愿书.pdf", data, "application/pdf")})
    assert response.status_code in (200, 201, 204), response.text


def test_no_id_number_in_the_log_keys_urls_or_mail_of_an_end_to_end_run(stack: RunningStack) -> None:
    session = stack.session("branch")
    branch = session.get(stack.api("me"), timeout=10).json()["org"]["org_id"]
    member_id, person = new_member(stack, "隐私测试")
    used = {person}
    answers: list[Any] = []

    # API error paths: a duplicate ID, a wrong check character, an applicant under 14.
    duplicate = session.post(stack.api(f"orgs/{branch}/members"), timeout=10,
                             json=form(**{"身份证号码": person.lower(), "发展团员编号": "202332000001"}))
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "member_exists", duplicate.text
    wrong = person[:17] + ("0" if person[17] != "0" else "1")
    young = resident_id(birth="20120105")
    used |= {wrong, young}
    for bad in (wrong, young):
        refused = session.post(stack.api(f"orgs/{branch}/members"), timeout=10, json=form(**{"身份证号码": bad}))
        assert refused.status_code == 422, refused.text
        answers.append(refused.json())

    # Worker error paths: not a PDF; a PDF whose first page shows the ID number instead.
    for data in (b"this is not a PDF at all\n" * 40, pdf_corpus.text_pdf(number=person, pages=2, lines_per_page=4)):
        ticket = session.post(stack.api(f"members/{member_id}/archive/uploads"), timeout=10)
        assert ticket.status_code == 201, ticket.text
        answers.append(ticket.json())
        post_to_s3(stack, ticket.json(), data)
        view = wait_processed(session, stack, member_id, ticket.json()["upload_id"])
        answers.append(view)
        mine = [u for u in view["uploads"] if u["upload_id"] == ticket.json()["upload_id"]]
        assert mine[0]["status"] == "refused", mine

    answers.append(session.get(stack.api(f"members/{member_id}"), timeout=10).json())
    outbox = requests.get(f"{stack.url}/outbox/messages.json", timeout=10).json()["messages"]

    # 1. Nothing handed out as a key or URL names an ID number.
    in_urls = {f"{key}={value}" for answer in answers for key, value in strings(answer)
               if url_like(key, value) and (valid_resident_ids(value) or any(p in value for p in used))}
    assert not in_urls, in_urls
    assert any(key == "url" for answer in answers for key, _ in strings(answer)), "no presigned URL was checked"

    # 2. The log: the worker logged both uploads, and no ID number appears, masked ones aside.
    log = stack.log()
    assert log.count("archive upload processed") >= 2, "the worker's log lines are not in the stack log"
    leaked = valid_resident_ids(log) | {p for p in used if p in log or p.lower() in log}
    assert not leaked, f"ID numbers in the stack log: {sorted(leaked)}"

    # 3. No e-mail body carries one.
    assert not {m.get("id"): valid_resident_ids(str(m)) for m in outbox if valid_resident_ids(str(m))}
