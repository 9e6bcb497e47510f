// 附件1 分配表页面（allocation.html）：打开页面时向本系统查询团省委最新发布的分配表
// （GET /api/allocation/{年度}，公开接口），内容与站点构建时生成的表不同时，用最新发布的
// 内容替换页面上的表格，并把下载链接换成该版本的 .xlsx。
//
// 构建时生成的表格是后备：浏览器不运行 JavaScript、页面不是由本系统提供（例如从本地文件
// 打开）、接口不可用或尚未发布时，页面保持原样。生成页面的程序（infra/site_generators/
// allocation.py）与本脚本写出同样的表格结构和数字格式。
//
// 所有内容都用 textContent 写入，从不拼 innerHTML。

const source = document.getElementById("allocation-source");

// 名额的写法与构建时一致：42,000
const fmt = (count) => Number(count).toLocaleString("en-US");

function el(tag, text, attrs = {}) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) element.setAttribute(key, value);
  if (text !== undefined && text !== null) element.textContent = String(text);
  return element;
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const [tag, text, attrs] of cells) tr.append(el(tag, text, attrs));
  return tr;
}

const rowHeader = { scope: "row" };

function fillQuotas(data) {
  const quotas = document.getElementById("allocation-quotas");
  if (!quotas) return;
  quotas.tBodies[0].replaceChildren(
    ...data.units.map((unit, index) =>
      row([
        ["td", index + 1],
        ["td", unit.unit_id],
        ["th", unit.name, rowHeader],
        ...data.domains.map((domain) => ["td", fmt(unit.domains[domain].quota)]),
        ["td", fmt(unit.total)],
      ]),
    ),
  );
  quotas.tFoot?.replaceChildren(
    row([
      ["td", ""],
      ["td", ""],
      ["th", "合计", rowHeader],
      ...data.domains.map((domain) => ["td", fmt(data.totals.domains[domain].quota)]),
      ["td", fmt(data.totals.total)],
    ]),
  );
  if (quotas.caption) quotas.caption.textContent = `${data.title}：各单位各领域名额（个）`;
}

function fillSegments(data) {
  for (const table of document.querySelectorAll("table[data-segments]")) {
    const domain = table.dataset.segments;
    const total = data.totals.domains[domain];
    if (!total) continue;
    table.tBodies[0].replaceChildren(
      ...data.units
        .filter((unit) => unit.domains[domain].quota > 0)
        .map((unit) => {
          const cell = unit.domains[domain];
          return row([
            ["td", unit.unit_id],
            ["th", unit.name, rowHeader],
            ["td", fmt(cell.quota)],
            ["td", cell.first_number],
            ["td", cell.last_number],
          ]);
        }),
    );
    table.tFoot?.replaceChildren(
      row([
        ["td", ""],
        ["th", "合计", rowHeader],
        ["td", fmt(total.quota)],
        ["td", total.first_number || ""],
        ["td", total.last_number || ""],
      ]),
    );
  }
}

function usable(answer) {
  const table = answer && answer.table;
  return (
    table &&
    typeof answer.sha256 === "string" &&
    typeof answer.version === "string" &&
    Array.isArray(table.units) &&
    Array.isArray(table.domains) &&
    table.totals &&
    table.units.every((unit) => unit.domains && table.domains.every((domain) => unit.domains[domain]))
  );
}

function when(published) {
  const date = new Date(published);
  return Number.isNaN(date.getTime()) ? published : date.toLocaleString("zh-CN", { hour12: false });
}

// 宽表格在窄屏上横向滚动（Material 把正文表格包进 .md-typeset__scrollwrap）：滚动区域要能用键盘
// 聚焦和滚动，并且读屏软件能读出它是哪张表（WCAG 2.1.1；axe: scrollable-region-focusable）。
function keyboardScrollable() {
  for (const table of document.querySelectorAll("#allocation-quotas, table[data-segments]")) {
    const wrap = table.closest(".md-typeset__scrollwrap");
    if (!wrap || wrap.hasAttribute("tabindex")) continue;
    wrap.tabIndex = 0;
    wrap.setAttribute("role", "region");
    wrap.setAttribute("aria-label", table.caption ? table.caption.textContent : "分配表");
  }
}

async function main() {
  keyboardScrollable();
  window.addEventListener("load", keyboardScrollable);
  if (!source || !/^https?:$/.test(window.location.protocol)) return; // 从本地文件打开：没有接口
  const year = source.dataset.year;
  let answer;
  try {
    const response = await fetch(new URL(`/api/allocation/${encodeURIComponent(year)}`, window.location.origin), {
      headers: { Accept: "application/json" },
      cache: "no-cache",
    });
    if (!response.ok) return; // 尚未发布（404）或接口不可用：保留构建时的表格
    answer = await response.json();
  } catch {
    return;
  }
  if (!usable(answer)) return;
  const data = answer.table;
  const download = document.getElementById("allocation-download");
  if (download && answer.xlsx) {
    download.href = new URL(answer.xlsx, window.location.origin).href;
    download.textContent = `下载 Excel 表格（.xlsx，${answer.version}）`;
  }
  const stamp = `团省委于 ${when(answer.published_at)} 发布的版本 ${answer.version}`;
  if (answer.sha256 === source.dataset.sha256) {
    source.textContent = `下表与${stamp}一致。`;
  } else {
    fillQuotas(data);
    fillSegments(data);
    source.textContent = `下表为${stamp}（打开页面时从本系统读取，已替换站点构建时生成的表格）。`;
  }
  source.dataset.version = answer.version;
  source.dataset.shown = answer.sha256;
  const illustrative = document.getElementById("allocation-illustrative");
  if (illustrative) illustrative.hidden = !data.illustrative;
  const footnote = document.getElementById("allocation-footnote");
  if (footnote && data.footnote) footnote.textContent = data.footnote;
}

main();
