"""Site generator: the page 附件1 (``allocation.md``, replacing the checked-in placeholder) and
its .xlsx download, from the illustrative 2023 demo allocation (infra/demo/jiangsu_2023.py).

The page is the build-time fallback: ``site/assets/js/allocation-live.js`` asks the API for the
latest **published** version (``GET /api/allocation/{year}``) when the page loads and, when its
content differs from what was built (the SHA-256 of the table JSON is on the page), replaces the
tables with it — republishing needs no rebuild; without JavaScript or without the API the page
shows what was built. The page and the .xlsx are made from the same ``Allocation`` (tables from
``allocation_table.table_dict``, workbook from ``allocation_table.render_xlsx``), so they show
the same numbers; ``publish_demo`` publishes exactly these bytes in the local stack.

Registered in infra/mkdocs_hooks.py ``GENERATORS`` as
``"infra.site_generators.allocation:generate"``.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Mapping, Sequence
from typing import Any, Final, Protocol

from zhtj.domain.allocation import Allocation
from zhtj.services import allocation_table

PAGE: Final = "allocation.md"
SCRIPT: Final = "assets/js/allocation-live.js"


# Heading anchors in ASCII (the slugifier would keep the Chinese and the brackets).
DOMAIN_ANCHORS: Final = {"初中": "junior-high", "普通高中": "high-school", "中职": "secondary-vocational",
                         "高校本科": "undergraduate", "高职(专科)": "higher-vocational", "社会": "social"}


def xlsx_uri(year: int) -> str:
    return f"downloads/allocation-{year}.xlsx"


class SiteContent(Protocol):  # what infra/mkdocs_hooks.SiteContent offers (never imported, see there)
    def add_page(self, uri: str, markdown: str, *, replace_placeholder: bool = False) -> None: ...

    def add_file(self, uri: str, content: bytes | str, *, title: str | None = None,
                 description: str = "") -> None: ...


def demo() -> Allocation:
    from infra.demo.jiangsu_2023 import demo_allocation

    return demo_allocation()


def generate(site: SiteContent) -> None:
    allocation = demo()
    site.add_file(xlsx_uri(allocation.year), allocation_table.render_xlsx(allocation))
    site.add_page(PAGE, page_markdown(allocation), replace_placeholder=True)


def publish_demo(files: Any) -> None:
    """The local stack publishes the demo table once at start (``zhtj local``), so that
    ``GET /api/allocation/2023`` answers with the same content the page was built from."""
    from zhtj.services.publishing import publish

    publish(demo(), files, actor="demo")


# ---------------------------------------------------------------- the page
def fmt(count: int) -> str:
    """Quotas as the page and the live script write them: 42,000."""
    return f"{count:,}"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _row(cells: Sequence[tuple[str, str]]) -> str:
    """One <tr>: cells as (tag with attributes, text)."""
    parts = []
    for tag, text in cells:
        name = tag.split(" ", 1)[0]
        parts.append(f"<{tag}>{_e(text)}</{name}>")
    return "<tr>" + "".join(parts) + "</tr>"


def quotas_table(table: Mapping[str, Any]) -> str:
    domains: list[str] = list(table["domains"])
    head = _row([("th scope=\"col\"", "序号"), ("th scope=\"col\"", "单位代码"), ("th scope=\"col\"", "单位名称"),
                 *((f"th scope=\"col\" data-domain=\"{_e(d)}\"", d) for d in domains),
                 ("th scope=\"col\"", "合计")])
    body = [
        _row([("td", str(position)), ("td", unit["unit_id"]), ("th scope=\"row\"", unit["name"]),
              *(("td", fmt(unit["domains"][d]["quota"])) for d in domains), ("td", fmt(unit["total"]))])
        for position, unit in enumerate(table["units"], start=1)
    ]
    totals = table["totals"]
    foot = _row([("td", ""), ("td", ""), ("th scope=\"row\"", "合计"),
                 *(("td", fmt(totals["domains"][d]["quota"])) for d in domains), ("td", fmt(totals["total"]))])
    return (
        '<table id="allocation-quotas">\n'
        f"<caption>{_e(table['title'])}：各单位各领域名额（个）</caption>\n"
        f"<thead>{head}</thead>\n<tbody>\n" + "\n".join(body) + f"\n</tbody>\n<tfoot>{foot}</tfoot>\n</table>"
    )


def segments_table(table: Mapping[str, Any], domain: str) -> str:
    head = _row([("th scope=\"col\"", "单位代码"), ("th scope=\"col\"", "单位名称"), ("th scope=\"col\"", "名额"),
                 ("th scope=\"col\"", "号段起始编号"), ("th scope=\"col\"", "号段终止编号")])
    body = [
        _row([("td", unit["unit_id"]), ("th scope=\"row\"", unit["name"]), ("td", fmt(cell["quota"])),
              ("td", cell["first_number"]), ("td", cell["last_number"])])
        for unit in table["units"]
        if (cell := unit["domains"][domain])["quota"] > 0
    ]
    total = table["totals"]["domains"][domain]
    foot = _row([("td", ""), ("th scope=\"row\"", "合计"), ("td", fmt(total["quota"])),
                 ("td", total["first_number"] or ""), ("td", total["last_number"] or "")])
    return (
        f'<table data-segments="{_e(domain)}">\n<caption>{_e(domain)}领域编号号段</caption>\n'
        f"<thead>{head}</thead>\n<tbody>\n" + "\n".join(body) + f"\n</tbody>\n<tfoot>{foot}</tfoot>\n</table>"
    )


def page_markdown(allocation: Allocation) -> str:
    table: dict[str, Any] = allocation_table.table_dict(allocation)
    sha = hashlib.sha256(allocation_table.table_json(allocation).encode()).hexdigest()
    year, title = allocation.year, _e(table["title"])
    hidden = "" if allocation.illustrative else " hidden"
    about = (
        f'<strong id="allocation-footnote">{_e(allocation_table.ILLUSTRATIVE_FOOTNOTE)}</strong>。'
        f'<a href="notice.html">通知</a>第二部分写明各单位{year}年发展团员名额及编号号段“见附件1”，'
        "但附件1的原件没有公开，本站没有也不会编造它的内容。下表由本项目附带的演示数据测算生成，用来展示系统功能；"
        '唯一来自通知原文的数字是全省计划总数18.2万个及各领域较上年的增减（见<a href="rules.html#plan">规则摘要</a>）。'
    )
    source = (
        f'<p id="allocation-source" role="status" data-year="{year}" data-sha256="{sha}">'
        "下表为站点构建时由演示数据生成的分配表。打开本页时会向本系统查询团省委最新发布的版本，"
        "如有更新，下表会自动换成最新发布的内容。</p>"
    )
    download = (
        f'<p><a id="allocation-download" href="{xlsx_uri(year)}" download>下载 Excel 表格（.xlsx）</a>：'
        "与本页数字相同，另含“规则检查”（各单位触及或未达到的调控规则）和“测算方法”两个工作表。</p>"
    )
    lines = [
        "---",
        f"title: 附件1 {title}",
        "description: 团苏组字〔2023〕2号 附件1（演示数据，仅作示意，非官方附件1）：各单位发展团员名额及编号号段",
        "---",
        "",
        f"# 附件1 {title}",
        "",
        f'<div class="admonition warning" id="allocation-illustrative"{hidden}>',
        '<p class="admonition-title">演示数据</p>',
        f"<p>{about}</p>",
        "</div>",
        "",
        source,
        "",
        download,
        "",
        "## 各单位名额 {#quotas}",
        "",
        quotas_table(table),
        "",
        "## 编号号段 {#segments}",
        "",
        "编号12位＝入团年份4位＋省份代码2位＋序号6位；号段含起止两端，名额为0的领域不分配号段。"
        "分领域指标及号段不得相互挤占、挪用（[通知 三.2](notice.md#s3-2)）。",
        "",
    ]
    for domain in table["domains"]:
        lines += [f"### {domain}领域号段 {{#segments-{DOMAIN_ANCHORS[domain]}}}", "", segments_table(table, domain), ""]
    lines += [f'<script type="module" src="{SCRIPT}"></script>', ""]
    return "\n".join(lines)
