// 发展团员计划（console/plan.html?org=组织编号&year=年度；默认本组织、2023年）。
//
// 读取 GET /api/orgs/{组织}/plan?year= ：每个领域本组织的名额、已使用、已分配给下级、持有的
// 号段（及其中已使用的编号数），以及每个直属下级组织的同样数字。每个有名额的领域下有一个
// 表单，把某个直属下级组织的名额设为一个数：PUT /api/orgs/{组织}/plan/{下级}?year= 。
// 增加时接口从本组织持有的号段中分出未使用的编号，减少时只收回下级未使用的编号；
// 名额不足、编号已使用等规则由接口判断，错误按 GOV.UK 的错误模式显示在表单上。

import { api, get } from "./api.js";
import { consoleUrl, describeOrg, h, pageParts, param, setStatus, showPageError, startConsolePage } from "./common.js";
import { createFormErrors, errorsFromApi, guardSubmit, valueOf } from "./forms.js";

// 本站收录的通知是2023年的（团苏组字〔2023〕2号），演示数据也是2023年的。
const DEFAULT_YEAR = "2023";
const MIN_YEAR = 2000;
const MAX_YEAR = 2099;
const MAX_QUOTA = 999999;

const { root, status, problem, view } = pageParts("plan");
const domainsBox = document.getElementById("plan-domains");
const success = document.getElementById("plan-success");
const yearForm = document.getElementById("plan-year-form");
const yearErrors = createFormErrors(yearForm);

const fmt = (count) => Number(count).toLocaleString("zh-CN");
const planPath = (orgId) => `orgs/${encodeURIComponent(orgId)}/plan`;

let me = null;

async function main() {
  try {
    me = await startConsolePage();
  } catch (error) {
    return fail(error);
  }
  const orgId = param("org") || me.org.org_id;
  const yearText = (param("year") || DEFAULT_YEAR).trim();
  document.getElementById("plan-year-org").value = orgId === me.org.org_id ? "" : orgId;
  yearForm.elements.namedItem("year").value = yearText;
  guardSubmit(yearForm, () => changeYear(orgId));
  const yearProblem = checkYear(yearText);
  if (yearProblem) {
    view.hidden = false;
    setStatus(status, "");
    yearErrors.show([{ field: "year", message: yearProblem }]);
    root.dataset.state = "error";
    return;
  }
  await load(orgId, Number(yearText));
}

function checkYear(text) {
  if (!/^\d{4}$/.test(text) || Number(text) < MIN_YEAR || Number(text) > MAX_YEAR) {
    return `计划年度应为${MIN_YEAR}–${MAX_YEAR}之间的四位数年份`;
  }
  return null;
}

function changeYear(orgId) {
  const text = valueOf(yearForm, "year");
  const problemText = checkYear(text);
  if (problemText) {
    yearErrors.show([{ field: "year", message: problemText }]);
    return;
  }
  window.location.assign(consoleUrl("plan.html", { org: orgId === me.org.org_id ? null : orgId, year: text }));
}

function fail(error) {
  setStatus(status, "");
  view.hidden = true;
  showPageError(problem, error, { me });
  root.dataset.state = "error";
}

async function load(orgId, year) {
  let plan;
  try {
    plan = await get(`${planPath(orgId)}?year=${year}`);
  } catch (error) {
    return fail(error);
  }
  render(plan);
  setStatus(status, "");
  view.hidden = false;
  root.dataset.state = "ready";
}

function render(plan) {
  const org = plan.org;
  document.getElementById("plan-org-name").textContent = `${org.name} ${plan.year}年发展团员计划`;
  document.getElementById("plan-org-kind").textContent = describeOrg(org);
  if (org.org_id !== me.org.org_id) document.title = `${org.short_name || org.name} - ${document.title.replace(/^.* - /, "")}`;

  const withQuota = plan.domains.filter((d) => d.has_quota || d.children.some((c) => c.has_quota));
  const without = plan.domains.filter((d) => !withQuota.includes(d)).map((d) => d.domain);
  domainsBox.replaceChildren(...withQuota.map((domain, index) => domainSection(plan, domain, index)));
  const empty = document.getElementById("plan-empty");
  if (withQuota.length === 0) {
    empty.textContent = `${org.name}${plan.year}年没有发展团员名额。名额由上级团委分配，如有疑问请联系上级团委。`;
  } else {
    empty.textContent = without.length ? `${plan.year}年没有名额的领域：${without.join("、")}。` : "";
  }
  empty.hidden = !empty.textContent;

  const actions = document.getElementById("plan-actions");
  const links = [h("a", { href: consoleUrl("index.html", { org: org.org_id === me.org.org_id ? null : org.org_id }) }, "返回工作台")];
  if (org.org_id !== me.org.org_id && org.parent_id) {
    const parentIsOwn = org.parent_id === me.org.org_id;
    links.push(h("a", { href: consoleUrl("plan.html", { org: parentIsOwn ? null : org.parent_id, year: plan.year }) }, "上级组织的计划"));
  }
  actions.replaceChildren(...links);
}

function segmentsText(held) {
  if (!held.segments.length) return "无";
  return held.segments.map((s) => `${s.first_number}–${s.last_number}（${fmt(s.size)}个，已使用${fmt(s.used)}个）`).join("；");
}

function summaryRows(rows) {
  return h("dl", { class: "zhtj-summary-list" }, rows.map(([term, value]) => h("div", { class: "zhtj-summary-list__row" }, h("dt", {}, term), h("dd", {}, value))));
}

function domainSection(plan, domain, index) {
  const id = `plan-domain-${index}`;
  const title = h("h3", { id: `${id}-title` }, `${domain.domain}领域`);
  const parts = [title];
  parts.push(
    summaryRows([
      ["名额", domain.has_quota ? `${fmt(domain.quota)}个` : "无"],
      ["已使用", `${fmt(domain.used)}个（含下级组织录入的团员）`],
      ["已分配给下级", `${fmt(domain.distributed)}个`],
      ["尚可分配", `${fmt(domain.undistributed)}个（本组织持有的号段中未使用的编号${fmt(domain.held.free)}个）`],
      ["本组织持有的号段", segmentsText(domain.held)],
    ]),
  );
  const children = domain.children;
  if (children.length) parts.push(childrenTable(plan, domain, children, id));
  if (domain.has_quota && plan.children.length) parts.push(quotaForm(plan, domain, id));
  else if (domain.has_quota) parts.push(h("p", {}, "本组织没有下级组织，无需分配。"));
  return h("section", { class: "zhtj-plan-domain", "aria-labelledby": title.id, dataset: { domain: domain.domain } }, parts);
}

function childrenTable(plan, domain, children, id) {
  const head = h("tr", {}, ["下级组织", "名额", "已使用", "已分配给其下级", "持有的号段"].map((text) => h("th", { scope: "col" }, text)));
  const rows = children.map((child) =>
    h(
      "tr",
      { dataset: { child: child.org.org_id } },
      h("th", { scope: "row" }, h("a", { href: consoleUrl("plan.html", { org: child.org.org_id, year: plan.year }) }, child.org.name)),
      h("td", {}, child.has_quota ? fmt(child.quota) : "—"),
      h("td", {}, fmt(child.used)),
      h("td", {}, fmt(child.distributed)),
      h("td", {}, segmentsText(child.held)),
    ),
  );
  const caption = h("caption", { id: `${id}-children-caption` }, `直属下级组织的${domain.domain}名额`);
  const table = h("table", { id: `${id}-children` }, caption, h("thead", {}, head), h("tbody", {}, rows));
  // 与 Material 给正文表格加的外框一致：窄屏上表格可以横向滚动；滚动区域可用键盘聚焦（WCAG 2.1.1）
  return h(
    "div",
    { class: "md-typeset__scrollwrap", tabindex: "0", role: "region", "aria-labelledby": caption.id },
    h("div", { class: "md-typeset__table" }, table),
  );
}

function quotaForm(plan, domain, id) {
  const form = h("form", { id: `${id}-form`, class: "zhtj-form", method: "post", novalidate: true, dataset: { domain: domain.domain } });
  const childId = `${id}-child`;
  const quotaId = `${id}-quota`;
  const select = h(
    "select",
    { class: "zhtj-select", id: childId, name: "child_id" },
    h("option", { value: "" }, "请选择"),
    plan.children.map((child) => h("option", { value: child.org_id }, child.name)),
  );
  const input = h("input", { class: "zhtj-input zhtj-input--medium", id: quotaId, name: "quota", type: "text", inputmode: "numeric", autocomplete: "off", "aria-describedby": `${quotaId}-hint` });
  const current = new Map(domain.children.map((c) => [c.org.org_id, c.quota]));
  select.addEventListener("change", () => {
    input.value = select.value ? String(current.get(select.value) ?? 0) : "";
  });
  form.append(
    h("h4", {}, `设置下级组织的${domain.domain}名额`),
    h("div", { class: "zhtj-field" }, h("label", { class: "zhtj-label", for: childId }, "直属下级组织"), select),
    h(
      "div",
      { class: "zhtj-field" },
      h("label", { class: "zhtj-label", for: quotaId }, "名额（个）"),
      h("p", { class: "zhtj-hint", id: `${quotaId}-hint` }, `填写调整后的名额（可增可减）。本组织尚可分配${fmt(domain.undistributed)}个；减少时不能少于该下级已使用和已分配给其下级的数量。`),
      input,
    ),
    h("div", { class: "zhtj-actions" }, h("button", { type: "submit", class: "zhtj-button" }, "保存")),
  );
  // 错误摘要插在表单之前（forms.js），所以表单要先有父元素
  const wrapper = h("div", { class: "zhtj-plan-form" }, form);
  const errors = createFormErrors(form);
  guardSubmit(form, () => submit(plan, domain, form, errors));
  return wrapper;
}

function check(form) {
  const problems = [];
  const child = valueOf(form, "child_id");
  const quota = valueOf(form, "quota");
  if (!child) problems.push({ field: "child_id", message: "请选择直属下级组织" });
  if (!quota) problems.push({ field: "quota", message: "请输入名额" });
  else if (!/^\d+$/.test(quota) || Number(quota) > MAX_QUOTA) problems.push({ field: "quota", message: `名额应为0–${MAX_QUOTA}之间的整数` });
  return problems;
}

async function submit(plan, domain, form, errors) {
  success.hidden = true;
  if (errors.refuse(check(form))) return;
  const childId = valueOf(form, "child_id");
  let result;
  try {
    result = await api(`${planPath(plan.org.org_id)}/${encodeURIComponent(childId)}?year=${plan.year}`, {
      method: "PUT",
      body: { domain: domain.domain, quota: Number(valueOf(form, "quota")) },
    });
  } catch (error) {
    errors.show(errorsFromApi(error));
    return;
  }
  errors.clear();
  await load(plan.org.org_id, plan.year);
  document.getElementById("plan-success-text").textContent = result.message;
  success.hidden = false;
  success.focus();
}

main();
