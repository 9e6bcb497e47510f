// 查询团员（console/members.html?org=组织编号，默认是本组织；操作指引 4.6）。
//
// POST /api/orgs/{org}/members/search，按姓名、身份证号码或发展团员编号查找本组织子树里的团员。
// 用 POST 而不是 GET：身份证号码不能出现在网址、访问日志和浏览历史里（GET 带身份证号码会被
// 接口以 400 resident_id_in_url 拒绝）。所以查询内容也不写进地址栏。
// 结果表格里的身份证号码是接口返回的部分号码（列表会被截图、打印），每行链接到该团员的档案页。

import { post } from "./api.js";
import { consoleUrl, h, labelCells, pageParts, setStatus, startOrgPage } from "./common.js";
import { createFormErrors, errorsFromApi, guardSubmit, valueOf } from "./forms.js";

const { root, status, problem, view } = pageParts("members");
const form = document.getElementById("members-form");
const results = document.getElementById("members-results");
const title = document.getElementById("members-results-title");
const rows = document.getElementById("members-rows");
const empty = document.getElementById("members-empty");
const tableWrap = document.getElementById("members-table-wrap");
const announce = document.getElementById("members-announce");
const errors = createFormErrors(form, { title: "无法查询" });

async function main() {
  const started = await startOrgPage({ root, status, problem });
  if (!started) return;
  const { me, org } = started;
  document.getElementById("members-org-name").textContent = org.name;
  const own = org.org_id === me.org.org_id;
  for (const link of form.querySelectorAll("[data-back]")) link.href = consoleUrl("index.html", { org: own ? null : org.org_id });
  document.getElementById("members-new-link").href = consoleUrl("member-new.html", { org: own ? null : org.org_id });
  guardSubmit(form, () => search(org));
  view.hidden = false;
  root.dataset.state = "ready";
}

async function search(org) {
  const q = valueOf(form, "q");
  if (!q) {
    errors.show([{ field: "q", message: "请输入姓名、身份证号码或发展团员编号" }]);
    return;
  }
  root.dataset.state = "loading";
  let found;
  try {
    found = await post(`orgs/${encodeURIComponent(org.org_id)}/members/search`, { q });
  } catch (error) {
    errors.show(errorsFromApi(error).map((item) => ({ ...item, field: "q" })));
    root.dataset.state = "ready";
    return;
  }
  errors.clear();
  render(found.items, org);
  root.dataset.state = "ready";
}

function render(items, org) {
  rows.replaceChildren(...items.map(row));
  labelCells(document.getElementById("members-table"));
  tableWrap.hidden = items.length === 0;
  empty.hidden = items.length !== 0;
  empty.textContent = `在“${org.name}”及其下级组织中没有找到符合条件的团员。请核对后重试：姓名须完整，身份证号码为18位，发展团员编号为12位。`;
  title.textContent = items.length ? `查询结果（${items.length}名团员）` : "查询结果";
  results.hidden = false;
  setStatus(announce, items.length ? `找到 ${items.length} 名团员。` : "没有找到符合条件的团员。");
  title.focus();
}

function row(member) {
  const archive = consoleUrl("archive.html", { member: member.member_id });
  const action = member.archive_state === "尚未认证" ? "上传档案" : "查看档案";
  return h(
    "tr",
    { dataset: { memberId: member.member_id } },
    h("td", {}, member.name),
    h("td", { class: "zhtj-nowrap" }, member.resident_id || ""),
    h("td", { class: "zhtj-nowrap" }, member.member_number),
    h("td", { class: "zhtj-nowrap" }, member.join_month),
    h("td", {}, member.branch_name || ""),
    h("td", {}, member.archive_state || ""),
    h("td", { class: "zhtj-nowrap" }, h("a", { href: archive, "aria-label": `${action}：${member.name}（${member.member_number}）` }, action)),
  );
}

main();
