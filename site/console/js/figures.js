// 进度统计（console/figures.html?org=组织编号&year=年度&as_of=YYYY-MM-DD）。
//
// 读取 GET /api/orgs/{组织}/figures?year=&as_of= （各领域与合计：计划数、已使用编号、编号使用率、
// 已录入、已上传、待审批、认证不通过、已认证、电子档案录入完整率、逾期、节点达标、团青比）和
// GET /api/orgs/{组织}/figures/missed （未达标的下级组织）。两率画成 SVG 条形图，带50%和100%
// 两条线；“导出 Excel”调用 GET /api/orgs/{组织}/figures/xlsx ，接口返回 base64 的 .xlsx 文件。
// 所有数字都来自计数器（由表的 DynamoDB 流维护），不扫描团员。

import { get } from "./api.js";
import { consoleUrl, h, pageParts, param, setStatus, showPageError, startConsolePage } from "./common.js";

const DEFAULT_YEAR = "2023";
// The SVG namespace, taken from an empty <svg> in the page (the HTML parser puts it there).
const SVG = document.getElementById("figures-svg-ns").namespaceURI;

const { root, status, problem, view } = pageParts("figures");

const pct = (value) => (value === null || value === undefined ? "—" : `${value}%`);
const fmt = (count) => Number(count).toLocaleString("zh-CN");

function svg(tag, attrs = {}, text = null) {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) element.setAttribute(key, String(value));
  if (text !== null) element.textContent = text;
  return element;
}

async function main() {
  let me = null;
  try {
    me = await startConsolePage();
    const orgId = param("org") || me.org.org_id;
    const year = (param("year") || DEFAULT_YEAR).trim();
    const asOf = (param("as_of") || "").trim();
    const form = document.getElementById("figures-form");
    form.elements.namedItem("year").value = year;
    form.elements.namedItem("as_of").value = asOf;
    document.getElementById("figures-org").value = orgId === me.org.org_id ? "" : orgId;
    const query = new URLSearchParams({ year });
    if (asOf) query.set("as_of", asOf);
    const base = `orgs/${encodeURIComponent(orgId)}/figures`;
    const [body, missed] = await Promise.all([get(`${base}?${query}`), get(`${base}/missed?${query}`)]);
    render(body, missed);
    document.getElementById("figures-export").addEventListener("click", () => download(`${base}/xlsx?${query}`));
    setStatus(status, "");
    view.hidden = false;
    root.dataset.state = "ready";
  } catch (error) {
    setStatus(status, "");
    view.hidden = true;
    showPageError(problem, error, { me });
    root.dataset.state = "error";
  }
}

function render(body, missed) {
  document.getElementById("figures-org-name").textContent =
    `${body.org.name} · ${body.year}年 · 截至${body.as_of}`;
  renderBars(body);
  renderTable(body);
  renderMilestones(body.total.milestones);
  renderTrend(body.total.entered_by_month);
  renderRatio(body.domains);
  renderMissed(missed);
  const definitions = document.getElementById("figures-definitions");
  definitions.replaceChildren(...Object.values(body.definitions).map((text) => h("dd", {}, text)));
}

// 每个领域与合计一组：编号使用率、电子档案录入完整率两根条，刻度0–100%（超过100%按100%画），
// 50%处虚线、100%处实线。
function renderBars(body) {
  const rows = [...body.domains.filter((d) => d.plan > 0 || d.entered > 0), { ...body.total, domain: "合计" }];
  const labelWidth = 110;
  const barWidth = 360;
  const rowHeight = 44;
  const height = rows.length * rowHeight + 20;
  const chart = svg("svg", { viewBox: `0 0 ${labelWidth + barWidth + 80} ${height}`, role: "img",
    "aria-label": "各领域编号使用率与电子档案录入完整率" });
  rows.forEach((row, index) => {
    const y = 10 + index * rowHeight;
    chart.append(svg("text", { x: 0, y: y + 16, class: "zhtj-bar-label" }, row.domain));
    [["usage_percent", "zhtj-bar-usage", "编号使用率"], ["completeness_percent", "zhtj-bar-completeness", "录入完整率"]]
      .forEach(([key, cls, name], k) => {
        const top = y + k * 18;
        const value = row[key];
        const width = value === null ? 0 : Math.min(100, value) / 100 * barWidth;
        chart.append(svg("rect", { x: labelWidth, y: top, width: barWidth, height: 14, class: "zhtj-bar-track" }));
        chart.append(svg("rect", { x: labelWidth, y: top, width, height: 14, class: cls }));
        chart.append(svg("text", { x: labelWidth + barWidth + 6, y: top + 12, class: "zhtj-bar-label" },
          `${name} ${pct(value)}`));
      });
  });
  for (const [at, cls] of [[0.5, "zhtj-bar-line"], [1, "zhtj-bar-line zhtj-bar-line--full"]]) {
    const x = labelWidth + at * barWidth;
    chart.append(svg("line", { x1: x, x2: x, y1: 4, y2: height - 4, class: cls }));
  }
  document.getElementById("figures-bars").replaceChildren(chart);
}

const COLUMNS = [
  ["domain", "领域"], ["plan", "计划数"], ["used", "已使用编号"], ["usage_percent", "编号使用率"],
  ["entered", "已录入"], ["uploaded", "已上传档案"], ["not_uploaded", "未上传"], ["pending", "待审批"],
  ["rejected", "认证不通过"], ["certified", "已认证（新发展团员）"], ["completeness_percent", "录入完整率"],
  ["overdue", "逾期未上传"],
];

function renderTable(body) {
  const cell = (row, key) => (key.endsWith("_percent") ? pct(row[key]) : key === "domain" ? row[key] : fmt(row[key]));
  const head = h("thead", {}, h("tr", {}, COLUMNS.map(([, label]) => h("th", { scope: "col" }, label))));
  const rows = [...body.domains, { ...body.total, domain: "合计" }].map((row) =>
    h("tr", {}, COLUMNS.map(([key]) => h("td", {}, cell(row, key)))));
  document.getElementById("figures-table").replaceChildren(head, h("tbody", {}, rows));
}

function renderMilestones(milestones) {
  document.getElementById("figures-milestones").replaceChildren(...milestones.map((m) =>
    h("li", {}, `${m.milestone} · ${m.rate_label} ${pct(m.percent)}：`,
      h("span", { class: `zhtj-standing--${m.standing}` }, m.standing_label))));
}

function renderTrend(byMonth) {
  let total = 0;
  const cumulative = byMonth.map((n) => (total += n));
  const most = Math.max(1, total);
  const chart = svg("svg", { viewBox: "0 0 480 140", role: "img", "aria-label": "按入团月份累计录入的团员数" });
  cumulative.forEach((n, i) => {
    const height = (n / most) * 100;
    chart.append(svg("rect", { x: 10 + i * 38, y: 110 - height, width: 28, height, class: "zhtj-trend-bar" }));
    chart.append(svg("text", { x: 10 + i * 38, y: 126, class: "zhtj-bar-label" }, `${i + 1}月`));
    chart.append(svg("text", { x: 10 + i * 38, y: 104 - height, class: "zhtj-bar-label" }, fmt(n)));
  });
  document.getElementById("figures-trend").replaceChildren(chart);
}

function renderRatio(domains) {
  const given = domains.filter((d) => d.youth_ratio);
  const box = document.getElementById("figures-ratio");
  if (!given.length) {
    box.replaceChildren(h("p", {}, "分配名额时没有提供本组织的学生数（适龄青年数）和团员数，无法计算团青比。"));
    return;
  }
  box.replaceChildren(h("ul", {}, given.map((d) => {
    const r = d.youth_ratio;
    const verdict = r.within_guidance === null ? "" : r.within_guidance ? "（符合要求）" : "（不符合要求）";
    return h("li", {}, `${d.domain}（${r.cohort}）：发展前 ${pct(r.before_percent)}，按已认证新团员计 ` +
      `${pct(r.after_percent)}${verdict}，计划全部用完 ${pct(r.with_plan_percent)}。${r.guidance}`);
  })));
}

function renderMissed(missed) {
  const box = document.getElementById("figures-missed");
  box.replaceChildren(...missed.groups.map((group) => h("section", {},
    h("h4", {}, `${group.label}（共${group.units}个，未达标${group.missing.length}个）`),
    group.missing.length ? h("ol", {}, group.missing.map((u) => h("li", {},
      h("a", { href: consoleUrl("figures.html", { org: u.org_id, year: missed.year, as_of: missed.as_of }) }, u.name),
      `：编号使用率 ${pct(u.usage_percent)}，录入完整率 ${pct(u.completeness_percent)}；未达标：`,
      u.missed.map((s) => `${s.milestone}（${s.rate_label}）`).join("、"))))
      : h("p", {}, "全部达标或尚未到期。"))));
}

async function download(path) {
  const file = await get(path);
  const bytes = Uint8Array.from(atob(file.content_base64), (c) => c.charCodeAt(0));
  const url = URL.createObjectURL(new Blob([bytes], { type: file.content_type }));
  const link = h("a", { href: url, download: file.filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

main();
