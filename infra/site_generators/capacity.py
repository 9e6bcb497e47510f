"""Site generator: the page 容量与费用估算 (``capacity.md``) from the capacity model.

The figures are computed at build time by :mod:`infra.capacity.model` from the inputs in
:mod:`infra.capacity.inputs` (each with its source), so the page, ``make capacity`` and the unit
test of the arithmetic always agree. Registered in infra/mkdocs_hooks.py ``GENERATORS`` as
``"infra.site_generators.capacity:generate"``.
"""

from __future__ import annotations

from typing import Final, Protocol

from infra.capacity import inputs
from infra.capacity.model import LINES, Result, scenarios, usd

PAGE: Final = "capacity.md"

KIND_NAMES: Final = {"measured": "实测", "derived": "推算", "assumed": "假设"}


class SiteContent(Protocol):  # what infra/mkdocs_hooks.SiteContent offers (never imported, see there)
    def add_page(self, uri: str, markdown: str, *, replace_placeholder: bool = False) -> None: ...


def generate(site: SiteContent) -> None:
    site.add_page(PAGE, page_markdown(scenarios()))


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _scenario(result: Result) -> list[str]:
    members, source = inputs.SCENARIOS[result.scenario]
    peak = result.peak
    lines = [
        f"## {result.scenario}：每年 {members:,} 名新团员",
        "",
        f"来源：{_cell(source)}。全年合计 **{usd(result.total)} 美元**，月均 {usd(result.total / 12)} 美元，"
        f"最高为 {result.peak_month.month} 月 {usd(result.peak_month.total)} 美元。",
        "",
        "| 服务 | 全年用量 | 全年费用（美元） |",
        "|---|---|---|",
    ]
    year_of = result.yearly_usage
    usage = {
        "api": f"{year_of('api_requests'):,.0f} 次请求",
        "lambda": f"{year_of('lambda_requests'):,.0f} 次调用，{year_of('lambda_gb_seconds'):,.0f} GB-s",
        "dynamodb": f"{year_of('dynamodb_wru'):,.0f} WRU，{year_of('dynamodb_rru'):,.0f} RRU，"
                    f"年末存储 {result.months[-1].usage['dynamodb_stored_gb']:,.1f} GB",
        "s3": f"新增 {year_of('s3_new_gb'):,.0f} GB（含版本），下载 {year_of('s3_transfer_gb'):,.0f} GB",
        "ses": f"{year_of('ses_mails'):,.0f} 封",
        "cloudfront": f"{year_of('cloudfront_gb'):,.1f} GB，{year_of('cloudfront_requests'):,.0f} 次请求",
        "sqs": f"{year_of('sqs_requests'):,.0f} 次请求",
        "cognito": f"高峰月 {max(m.usage['cognito_mau'] for m in result.months):,.0f} 名月活（前 "
                   f"{inputs.COGNITO_FREE_MAU:,} 名免费）",
        "cloudwatch": f"{int(inputs.value('alarms'))} 个告警、1 个仪表板、{year_of('log_gb'):,.1f} GB 日志",
    }
    for key, name in LINES:
        lines.append(f"| {name} | {usage[key]} | {usd(result.yearly(key))} |")
    lines += [f"| **合计** | | **{usd(result.total)}** |", "", "| 月份 | 录入人数 | 费用（美元） |", "|---|---|---|"]
    lines += [f"| {m.month} 月 | {m.entries:,.0f} | {usd(m.total)} |" for m in result.months]
    lines += [
        "",
        f"**最忙的一小时**（截止日前两周内的工作日）：每秒约 {peak['rows_per_second']:.2f} 名团员录入，"
        f"上传处理函数平均约 {peak['worker_instances']:.2f} 个实例在忙，DynamoDB 约 "
        f"{peak['write_units_per_second']:,.0f} WRU/s，API 约 {peak['api_requests_per_second']:.1f} 次/秒，"
        f"档案上传约 {peak['upload_megabytes_per_second']:.1f} MB/s。均远低于按需表的初始 4,000 WRU/s "
        "与上传函数的并发上限（UploadWorkerConcurrency，默认 5）；真实的峰值来自同时上传的大文件，"
        "而不是平均速率。",
        "",
    ]
    return lines


def page_markdown(results: list[Result]) -> str:
    lines = [
        "# 容量与费用估算",
        "",
        '!!! warning "估算，不是报价"',
        "",
        f"    按 AWS **{inputs.PRICE_REGION}（美国东部·弗吉尼亚北部）** 区域的公开目录价（美元，"
        f"截至 {inputs.PRICES_AS_OF}，未计免费额度与折扣）计算；本项目的运行环境无法联网核对，"
        "使用前请到 AWS 官网价格页面逐项核实。中国区域（北京、宁夏，人民币计价）价格不同，未纳入本估算。",
        "    本页由 `infra/capacity/model.py` 在构建站点时生成，命令行 `make capacity` 输出相同的数字。",
        "",
        "**录入节奏。** 通知 §三.2 要求 6月30日前编号使用率与电子档案录入完整率达到 50%，12月10日前达到 100%，"
        "因此假设全年录入一半在上半年、一半在 7月1日至 12月10日；每半年中有 "
        f"{inputs.value('deadline_window_share'):.0%} 集中在截止日前 {int(inputs.value('deadline_window_days'))} 天，"
        "其余均匀分布。这是假设，不是统计：试运行后请用实际数据替换。",
        "",
        "**存储逐年累加。** 档案的每个版本都保留，所以 S3 与 DynamoDB 的存储费用每多一年就按上表的"
        "“新增”再增加一份；表中是第一年的数字。",
        "",
    ]
    for result in results:
        lines += _scenario(result)
    lines += ["## 输入数据及来源", "", "| 输入 | 数值 | 单位 | 类别 | 来源 |", "|---|---|---|---|---|"]
    for name, item in inputs.INPUTS.items():
        lines.append(f"| `{name}` | {item.value:,.4g} | {_cell(item.unit)} | {KIND_NAMES[item.kind]} "
                     f"| {_cell(item.source)} |")
    lines += [
        "",
        f"“实测”为本仓库基准测试在 {inputs.MEASURED_ON} 的结果（2 核开发机，对 moto），“推算”由存储设计与计费规则"
        "得出，“假设”没有测量依据。“来源”一栏引用仓库中的英文技术说明（基准测试的命令与设计文档）。",
        "",
        f"## 使用的价格（{inputs.PRICE_REGION}，截至 {inputs.PRICES_AS_OF}）",
        "",
        "| 项目 | 单价（美元） |",
        "|---|---|",
    ]
    lines += [f"| {_cell(label)} | {amount:.10g} |" for amount, label in inputs.PRICES.values()]
    return "\n".join(lines) + "\n"
