// 单个录入团员（console/member-new.html?org=组织编号，默认是本组织；录入操作步骤 三“添加团员”）。
//
// 提交到 POST /api/orgs/{团支部}/members，请求体的键就是导入模板的列名（姓名、身份证号码……），
// 所以表单和批量导入走同一套规则（zhtj.services.members.entry_from_form）。下拉选项和必填项来自
// 构建时生成的 member-rules.js（导入模板的定义），不在这里重写一遍。
// 浏览器只检查必填项；其余（身份证校验位与出生日期、年满14周岁、性别与身份证一致、编号的年份和
// 号段、手机号码……）由接口一次全部列出（422 entry_rejected 的 errors），逐项显示在摘要和字段旁。

import { get, post } from "./api.js";
import { consoleUrl, describeOrg, h, pageParts, startOrgPage } from "./common.js";
import { createFormErrors, errorsFromApi, guardSubmit, valueOf } from "./forms.js";
import { MEMBER_FIELDS } from "./member-rules.js";

const BRANCH_FIELD = "所在团支部";
const BRANCH = "团支部";
const GENERAL_BRANCH = "团总支";
const NOT_STUDYING = "不在读";

const { root, status, problem, view } = pageParts("member-new");
const form = document.getElementById("member-new-form");
const success = document.getElementById("member-new-success");
const branchSelect = form.elements.namedItem(BRANCH_FIELD);
const errors = createFormErrors(form);

async function main() {
  const started = await startOrgPage({ root, status, problem, load: branchesOf });
  if (!started) return;
  const { me, org, data: branches } = started;
  document.getElementById("member-new-org-name").textContent = org.name;
  document.getElementById("member-new-org-kind").textContent = describeOrg(org);
  for (const link of form.querySelectorAll("[data-back]")) {
    link.href = consoleUrl("index.html", { org: org.org_id === me.org.org_id ? null : org.org_id });
  }
  view.hidden = false;
  if (branches.length === 0) {
    const note = document.getElementById("member-new-no-branch");
    note.textContent = `“${org.name}”下没有可以直接录入团员的团支部。团员须录入到团支部：请先创建团支部，或到下级团委、团工委的工作台录入。`;
    note.hidden = false;
    root.dataset.state = "ready";
    return;
  }
  fillBranches(branches);
  fillChoices();
  guardSubmit(form, () => submit(branches));
  form.hidden = false;
  root.dataset.state = "ready";
}

/** 本组织（若是团支部）、它的团支部子组织和下属团总支的团支部。下级团委不展开：请求数有上限。 */
async function branchesOf(org) {
  if (org.kind === BRANCH) return [org];
  const children = (await get(`orgs/${encodeURIComponent(org.org_id)}/children`)).items;
  const found = children.filter((child) => child.kind === BRANCH);
  const generals = children.filter((child) => child.kind === GENERAL_BRANCH);
  const nested = await Promise.all(generals.map((general) => get(`orgs/${encodeURIComponent(general.org_id)}/children`)));
  for (const page of nested) found.push(...page.items.filter((child) => child.kind === BRANCH));
  return found;
}

function fillBranches(branches) {
  const options = branches.map((branch) => h("option", { value: branch.org_id }, `${branch.name}（${branch.industry}）`));
  if (branches.length > 1) options.unshift(h("option", { value: "" }, "请选择"));
  branchSelect.replaceChildren(...options);
}

/** 下拉选项和“（选填）”标记，来自导入模板的定义。 */
function fillChoices() {
  for (const field of MEMBER_FIELDS) {
    // 所在团支部在表单里必选（团员须录入到团支部），选项是上面列出的团支部。
    if (field.name === BRANCH_FIELD) continue;
    const control = form.elements.namedItem(field.name);
    const label = form.querySelector(`label[data-field="${CSS.escape(field.name)}"]`);
    if (!control || !label) continue;
    if (!field.required && !label.dataset.marked) {
      label.append(h("span", { class: "zhtj-optional" }, "（选填）"));
      label.dataset.marked = "1";
    }
    if (control.tagName !== "SELECT") continue;
    const first = field.required ? "请选择" : NOT_STUDYING;
    const options = field.choices.map((choice) => h("option", { value: choice }, choice));
    // 只有一个可选值（政治面貌：共青团员）时直接选中。
    if (!(field.required && field.choices.length === 1)) options.unshift(h("option", { value: "" }, first));
    control.replaceChildren(...options);
  }
}

function check() {
  const problems = [];
  if (!valueOf(form, BRANCH_FIELD)) problems.push({ field: BRANCH_FIELD, message: "请选择所在团支部" });
  for (const field of MEMBER_FIELDS) {
    const control = form.elements.namedItem(field.name);
    if (!field.required || !control || valueOf(form, field.name)) continue;
    const verb = control.tagName === "SELECT" ? "请选择" : "请输入";
    problems.push({ field: field.name, message: `${verb}${field.name}` });
  }
  return problems;
}

/** 接口的逐项错误只写“必填项，不能为空”这样的话：摘要里要说清是哪一项。 */
function named(problems) {
  return problems.map((item) =>
    item.field && !item.message.startsWith(item.field) ? { ...item, message: `${item.field}：${item.message}` } : item,
  );
}

async function submit(branches) {
  success.hidden = true; // 上一次的“录入成功”不能和这一次的错误同时显示
  if (errors.refuse(check())) return;
  const branchId = valueOf(form, BRANCH_FIELD);
  const body = {};
  for (const field of MEMBER_FIELDS) {
    if (field.name === BRANCH_FIELD || !form.elements.namedItem(field.name)) continue;
    body[field.name] = valueOf(form, field.name);
  }
  let member;
  try {
    member = await post(`orgs/${encodeURIComponent(branchId)}/members`, body);
  } catch (error) {
    errors.show(named(errorsFromApi(error)));
    return;
  }
  errors.clear();
  showSuccess(member, branches.find((branch) => branch.org_id === branchId));
}

function showSuccess(member, branch) {
  document.getElementById("member-new-success-text").textContent =
    `已录入团员“${member.name}”（发展团员编号 ${member.member_number}，${member.domain}领域），` +
    `所在团支部：${member.branch_name || branch.name}。档案状态：${member.archive_state}。`;
  const link = document.getElementById("member-new-archive-link");
  link.href = consoleUrl("archive.html", { member: member.member_id });
  link.textContent = `上传${member.name}的《入团志愿书》`;
  const keep = branchSelect.value;
  form.reset();
  branchSelect.value = keep; // 同一团支部接着录入下一位
  success.hidden = false;
  success.focus();
}

main();
