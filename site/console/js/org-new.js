// 创建下级组织（console/org-new.html?org=上级组织编号，默认是本组织）。
// 提交到 POST /api/orgs/{上级}/children；先在浏览器里检查必填和长度，一次列出所有问题，
// 其余规则（重名、类别是否允许等）由接口判断，错误同样按字段显示。

import { post } from "./api.js";
import { consoleUrl, describeOrg, h, pageParts, startOrgPage } from "./common.js";
import { createFormErrors, errorsFromApi, guardSubmit, valueOf } from "./forms.js";
import {
  allowedChildKinds,
  INDUSTRY_GROUPS,
  KIND_NEEDING_INDUSTRY,
  NAME_MAX_LENGTH,
  SHORT_NAME_MAX_LENGTH,
} from "./org-rules.js";

const { root, status, problem } = pageParts("org-new");
const form = document.getElementById("org-new-form");
const success = document.getElementById("org-new-success");
const kindSelect = form.elements.namedItem("kind");
const industrySelect = form.elements.namedItem("industry");
const industryField = document.getElementById("industry-field");
const errors = createFormErrors(form);

// 按字符（而不是 UTF-16 码元）计数，与接口（Python 的 len）一致。
const length = (text) => [...text].length;

async function main() {
  const started = await startOrgPage({ root, status, problem });
  if (!started) return;
  const { me, org: parent } = started;
  const kinds = allowedChildKinds(parent.kind);
  document.getElementById("parent-name").textContent = parent.name;
  document.getElementById("parent-kind").textContent = describeOrg(parent);
  for (const link of document.querySelectorAll("[data-back-to-parent]")) {
    link.href = consoleUrl("index.html", { org: parent.org_id === me.org.org_id ? null : parent.org_id });
  }
  document.getElementById("org-new-parent").hidden = false;
  if (kinds.length === 0) {
    // 团支部是最基层组织：不显示表单，说明原因。
    const leaf = document.getElementById("org-new-leaf");
    leaf.textContent = `${parent.kind}是最基层组织，不能创建下级组织。`;
    leaf.hidden = false;
    root.dataset.state = "ready";
    return;
  }
  fillKinds(kinds);
  fillIndustries();
  syncIndustry();
  kindSelect.addEventListener("change", syncIndustry);
  guardSubmit(form, () => submit(parent));
  form.hidden = false;
  root.dataset.state = "ready";
}

function fillKinds(kinds) {
  const options = [h("option", { value: "" }, "请选择")];
  for (const kind of kinds) options.push(h("option", { value: kind }, kind));
  kindSelect.replaceChildren(...options);
  // 只有一种可选（团总支下只能建团支部）时直接选中，少一步操作。
  if (kinds.length === 1) kindSelect.value = kinds[0];
}

function fillIndustries() {
  industrySelect.replaceChildren(
    h("option", { value: "" }, "请选择"),
    ...INDUSTRY_GROUPS.map((group) =>
      h("optgroup", { label: `${group.label}领域` }, ...group.options.map((option) => h("option", { value: option }, option))),
    ),
  );
}

// 行业类别只对团支部有意义（它决定团员所属领域）：其他类别时隐藏并停用，不随表单提交。
function syncIndustry() {
  const needed = kindSelect.value === KIND_NEEDING_INDUSTRY;
  industryField.hidden = !needed;
  industrySelect.disabled = !needed;
}

function check() {
  const problems = [];
  const kind = valueOf(form, "kind");
  const name = valueOf(form, "name");
  const shortName = valueOf(form, "short_name");
  if (!kind) problems.push({ field: "kind", message: "请选择组织类别" });
  if (!name) problems.push({ field: "name", message: "请输入组织全称" });
  else if (length(name) > NAME_MAX_LENGTH) {
    problems.push({ field: "name", message: `组织全称不能超过${NAME_MAX_LENGTH}个字，当前为${length(name)}个字` });
  }
  if (!shortName) problems.push({ field: "short_name", message: "请输入组织简称" });
  else if (length(shortName) > SHORT_NAME_MAX_LENGTH) {
    problems.push({ field: "short_name", message: `组织简称不能超过${SHORT_NAME_MAX_LENGTH}个字，当前为${length(shortName)}个字` });
  }
  if (kind === KIND_NEEDING_INDUSTRY && !valueOf(form, "industry")) {
    problems.push({ field: "industry", message: "请选择单位所属行业类别：团支部必须选择，它决定团员所属领域" });
  }
  return problems;
}

async function submit(parent) {
  success.hidden = true; // 上一次的“创建成功”不能和这一次的错误同时显示
  if (errors.refuse(check())) return;
  const kind = valueOf(form, "kind");
  const body = { kind, name: valueOf(form, "name"), short_name: valueOf(form, "short_name") };
  if (kind === KIND_NEEDING_INDUSTRY) body.industry = valueOf(form, "industry");
  let created;
  try {
    created = await post(`orgs/${encodeURIComponent(parent.org_id)}/children`, body);
  } catch (error) {
    errors.show(errorsFromApi(error));
    return;
  }
  errors.clear();
  showSuccess(created, parent);
}

function showSuccess(org, parent) {
  document.getElementById("org-new-success-text").textContent = `已在“${parent.name}”下创建${org.kind}“${org.name}”。`;
  const link = document.getElementById("org-new-success-link");
  link.href = consoleUrl("index.html", { org: org.org_id });
  link.textContent = `查看“${org.short_name}”`;
  form.reset();
  fillKinds(allowedChildKinds(parent.kind)); // reset() 会丢掉“只有一种可选时直接选中”
  syncIndustry();
  success.hidden = false;
  success.focus();
}

main();
