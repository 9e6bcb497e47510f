"""The published allocation table over real HTTP against ``zhtj local`` (issue 3 part 4): the
stack publishes the demo table at start; the public JSON and .xlsx; the 附件1 page of the site
and the .xlsx show the same numbers; publishing is for the province only, idempotent, and keeps
earlier versions (a test that publishes something else publishes the demo table again after)."""

from __future__ import annotations

import copy
import hashlib
import io
from html.parser import HTMLParser
from typing import Any

import pytest
import requests

from infra.demo.jiangsu_2023 import demo_allocation, demo_input_dict
from tests.e2e.conftest import RunningStack
from zhtj.services import allocation_table

YEAR = 2023


@pytest.fixture(scope="module")
def demo_table() -> dict[str, Any]:
    return allocation_table.table_dict(demo_allocation())


@pytest.fixture(scope="module")
def demo_xlsx() -> bytes:
    return allocation_table.render_xlsx(demo_allocation())


class Tables(HTMLParser):
    """Every <table> of a page: its attributes and, per section (tbody, tfoot), rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[dict[str, str | None], dict[str, list[list[str]]]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._section = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append((dict(attrs), {}))
        elif tag in ("thead", "tbody", "tfoot"):
            self._section = tag
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1][1].setdefault(self._section, []).append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def page_tables(html: str) -> Tables:
    parser = Tables()
    parser.feed(html)
    return parser


def number(text: str) -> int:
    return int(text.replace(",", ""))


def xlsx_rows(content: bytes) -> dict[str, tuple[Any, ...]]:
    """The rows of sheet 分配表 by unit code; the 合计 row under "合计"."""
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content), read_only=True)["分配表"]
    return {str(r[1] or r[2]): r for r in sheet.iter_rows(min_row=4, values_only=True) if r[1] or r[2] == "合计"}


def test_the_stack_published_the_demo_table_at_start(stack: RunningStack, demo_table: dict[str, Any]) -> None:
    response = requests.get(stack.api(f"allocation/{YEAR}"), timeout=30)  # public: no token
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["table"] == demo_table and body["illustrative"] is True
    assert body["sha256"] == hashlib.sha256(allocation_table.table_json(demo_allocation()).encode()).hexdigest()
    assert body["title"] == "2023年发展团员名额及编号号段分配表" and "published_by" not in body
    assert "max-age" in response.headers["Cache-Control"]
    assert requests.get(stack.api("allocation/2024"), timeout=30).status_code == 404


def test_the_public_xlsx_is_the_same_workbook_as_the_sites(stack: RunningStack, demo_xlsx: bytes) -> None:
    redirect = requests.get(stack.api(f"allocation/{YEAR}/xlsx"), allow_redirects=False, timeout=30)
    assert redirect.status_code == 302 and "X-Amz-Signature" in redirect.headers["Location"]
    downloaded = requests.get(redirect.headers["Location"], timeout=30)
    assert downloaded.status_code == 200
    assert "attachment" in downloaded.headers.get("Content-Disposition", "")
    static = requests.get(f"{stack.url}/downloads/allocation-{YEAR}.xlsx", timeout=30)
    assert static.status_code == 200
    assert downloaded.content == static.content == demo_xlsx  # stable bytes: one table, one file


def test_the_site_page_and_the_xlsx_show_the_same_numbers(stack: RunningStack) -> None:
    page = requests.get(f"{stack.url}/allocation.html", timeout=30)
    assert page.status_code == 200
    assert "本表为演示数据，仅作示意，非官方附件1" in page.text
    article = page.text.split("<article", 1)[1].split("</article>", 1)[0]
    assert '<script type="module" src="assets/js/allocation-live.js">' in article
    assert "<script>" not in article  # no inline script of ours
    rows = xlsx_rows(requests.get(f"{stack.url}/downloads/allocation-{YEAR}.xlsx", timeout=30).content)
    tables = page_tables(page.text).tables
    quotas = next(body for attrs, body in tables if attrs.get("id") == "allocation-quotas")
    assert len(quotas["tbody"]) == len(rows) - 1 == 27  # the workbook: one row per unit, then 合计
    domains = ["初中", "普通高中", "中职", "高校本科", "高职(专科)", "社会"]
    for cells in quotas["tbody"]:
        row = rows[cells[1]]
        assert cells[2] == row[2]
        assert [number(c) for c in cells[3:9]] == [row[4 + 3 * i] for i in range(6)]
        assert number(cells[9]) == row[3]
    (total,) = quotas["tfoot"]
    assert [number(c) for c in total[3:]] == [*(rows["合计"][4 + 3 * i] for i in range(6)), rows["合计"][3]]
    assert rows["合计"][3] == 182_000
    segment_tables = {attrs["data-segments"]: body for attrs, body in tables if attrs.get("data-segments")}
    assert list(segment_tables) == domains
    for index, domain in enumerate(domains):
        for cells in segment_tables[domain]["tbody"]:
            row = rows[cells[0]]
            assert (number(cells[2]), cells[3], cells[4]) == (row[4 + 3 * index], row[5 + 3 * index],
                                                              row[6 + 3 * index])
        units_with_quota = [r for key, r in rows.items() if key != "合计" and r[4 + 3 * index]]
        assert len(segment_tables[domain]["tbody"]) == len(units_with_quota)
        (foot,) = segment_tables[domain]["tfoot"]
        assert (number(foot[2]), foot[3], foot[4]) == tuple(rows["合计"][4 + 3 * index: 7 + 3 * index])
    assert 'data-sha256="' + hashlib.sha256(allocation_table.table_json(demo_allocation()).encode()).hexdigest() \
        in page.text


def test_only_the_province_publishes(stack: RunningStack) -> None:
    nanjing = stack.session("nanjing").post(stack.api(f"allocation/{YEAR}/publish"), json=demo_input_dict(),
                                            timeout=60)
    assert nanjing.status_code == 403 and "团省委" in nanjing.json()["message"]
    anonymous = requests.post(stack.api(f"allocation/{YEAR}/publish"), json=demo_input_dict(), timeout=30)
    assert anonymous.status_code == 401


def test_publishing_is_idempotent_and_keeps_every_version(stack: RunningStack, demo_table: dict[str, Any]) -> None:
    jiangsu = stack.session("jiangsu")
    publish = stack.api(f"allocation/{YEAR}/publish")
    same = jiangsu.post(publish, json=demo_input_dict(), timeout=120)
    assert same.status_code == 200, same.text
    assert same.json()["created"] is False and same.json()["plan_checked"] is True
    first = same.json()["version"]

    renamed = copy.deepcopy(demo_input_dict())
    renamed["units"][0]["name"] = "南京市团委（更名测试）"
    try:
        new = jiangsu.post(publish, json=renamed, timeout=120)
        assert new.status_code == 201, new.text
        latest = requests.get(stack.api(f"allocation/{YEAR}"), timeout=30).json()
        assert latest["version"] == new.json()["version"] != first
        assert latest["table"]["units"][0]["name"] == "南京市团委（更名测试）"
        old = requests.get(stack.api(f"allocation/{YEAR}"), params={"version": first}, timeout=30)
        assert old.status_code == 200 and old.json()["table"] == demo_table
    finally:
        back = jiangsu.post(publish, json=demo_input_dict(), timeout=120)  # the demo content is the latest again
    assert back.status_code == 201 and back.json()["sha256"] == same.json()["sha256"]
    assert requests.get(stack.api(f"allocation/{YEAR}"), timeout=30).json()["table"] == demo_table


def test_a_table_that_disagrees_with_the_plan_is_not_published(stack: RunningStack) -> None:
    changed = copy.deepcopy(demo_input_dict())
    changed["plan"]["初中"] += 1  # a different province total → different quotas than the stored plan
    changed["plan_total"] += 1
    response = stack.session("jiangsu").post(stack.api(f"allocation/{YEAR}/publish"), json=changed, timeout=120)
    assert response.status_code == 409 and response.json()["code"] == "plan_mismatch"
    assert "不一致" in response.json()["message"]
