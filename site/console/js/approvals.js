// 控制台“档案审批”（console/approvals.html?org=组织编号，默认是本组织）。
//
// 操作指引 3.3.1（操作中心：按类型筛选“团员电子档案审批”，点“审批”查看基本信息和《入团志愿书》，
// 点“同意/不同意”，不同意须写明理由）与 3.3.2（查看下级的审批情况）。
// 列表：GET /api/orgs/{org}/archives/pending（类型、仅本组织审批、姓名或编号筛选，分页）；
// 详情：GET /api/members/{id}/archive（状态、历史、PDF 的短时下载地址）；
// 审批：POST /api/members/{id}/archive/decision（档案）或 …/change-requests/decision（变更申请）。
// 与邮件链接共用同一套审批规则：谁先审批谁生效，另一方会被告知“已处理”。

import { get, post } from "./api.js";
import { formatTime as when, h, pageParts, param, setStatus, showPageError, startConsolePage } from "./common.js";
import { createFormErrors, errorsFromApi, guardSubmit, valueOf } from "./forms.js";
import { pdfViewerMarkup, showPdf } from "./pdf-view.js";

const { root, status, problem, view } = pageParts("approvals");
const filter = document.getElementById("approvals-filter");
const list = document.getElementById("pending-list");
const empty = document.getElementById("pending-empty");
const more = document.getElementById("pending-more");
const announce = document.getElementById("approvals-announce");
const heading = document.getElementById("pending-heading");

let orgId = null;
let next = null;

function query(after) {
  const params = new URLSearchParams();
  const kind = filter.elements.namedItem("kind").value;
  const q = valueOf(filter, "q");
  if (kind) params.set("kind", kind);
  if (q) params.set("q", q);
  if (filter.elements.namedItem("mine").checked) params.set("mine", "true");
  if (after) params.set("after", after);
  const text = params.toString();
  return `orgs/${encodeURIComponent(orgId)}/archives/pending${text ? `?${text}` : ""}`;
}

async function load({ reset }) {
  const page = await get(query(reset ? null : next));
  if (reset) list.replaceChildren();
  for (const item of page.items) list.append(renderItem(item));
  next = page.next;
  more.hidden = !next;
  updateCount();
}

function updateCount() {
  const count = list.children.length;
  document.getElementById("pending-count").textContent = count ? `（${count}${next ? "+" : ""}项）` : "";
  empty.hidden = count !== 0;
  list.hidden = count === 0;
}

function renderItem(item) {
  const detail = h("div", { class: "zhtj-pending-detail", hidden: true, id: `detail-${item.member_id}` });
  const action = h(
    "button",
    { type: "button", class: item.can_decide ? "zhtj-button" : "zhtj-button zhtj-button--secondary",
      "aria-expanded": "false", "aria-controls": detail.id },
    item.can_decide ? "审批" : "查看",
  );
  const li = h(
    "li",
    { dataset: { memberId: item.member_id, kind: item.kind } },
    h("strong", {}, `${item.name}`),
    `　${item.kind_label}`,
    h(
      "span",
      { class: "zhtj-pending-list__meta" },
      `发展团员编号 ${item.member_number} · ${item.branch_name || ""} · 第 ${item.version} 版 · 提交于 ${when(item.submitted_at)}`,
    ),
    h(
      "span",
      { class: "zhtj-pending-list__meta" },
      item.can_decide ? `由本组织（${item.decider_name}）审批` : `由“${item.decider_name}”审批（本组织可查看，不能代为审批）`,
      item.reason ? `　变更理由：${item.reason}` : "",
    ),
    h("div", { class: "zhtj-actions" }, action),
    detail,
  );
  action.addEventListener("click", async () => {
    const open = action.getAttribute("aria-expanded") === "true";
    if (open) {
      action.setAttribute("aria-expanded", "false");
      detail.hidden = true;
      return;
    }
    action.setAttribute("aria-expanded", "true");
    detail.hidden = false;
    if (!detail.dataset.loaded) await openDetail(item, detail, li);
  });
  return li;
}

async function openDetail(item, detail, li) {
  detail.replaceChildren(h("p", { role: "status" }, "正在加载档案……"));
  let archive;
  try {
    archive = await get(`members/${encodeURIComponent(item.member_id)}/archive`);
  } catch (error) {
    detail.replaceChildren(h("p", { role: "alert" }, errorsFromApi(error)[0].message));
    return;
  }
  detail.dataset.loaded = "1";
  const rows = [
    ["姓名", archive.name],
    ["发展团员编号", archive.member_number],
    ["所在团支部", archive.branch_name],
    ["入团年月", archive.join_month],
    ["档案状态", archive.archive_state],
    ["档案版本", archive.current ? `第 ${archive.version} 版（${archive.current.pages || "?"} 页）` : `第 ${archive.version} 版`],
    ["上传组织", archive.current && archive.current.uploader_org_name],
    ["变更理由", item.kind === "change" ? archive.change_reason : null],
  ].filter(([, value]) => value);
  const viewer = h("div", { class: "zhtj-pdf", id: `pdf-${item.member_id}`, dataset: { state: "loading" } },
    ...pdfViewerMarkup(h, `pdf-${item.member_id}`));
  const parts = [
    h("dl", { class: "zhtj-summary-list" },
      ...rows.map(([term, value]) => h("div", { class: "zhtj-summary-list__row" }, h("dt", {}, term), h("dd", {}, value)))),
    viewer,
  ];
  const canDecide = item.kind === "change" ? archive.actions.decide_change : archive.actions.decide;
  if (canDecide) parts.push(decisionForm(item, archive, li));
  detail.replaceChildren(...parts);
  if (archive.download && archive.download.url) showPdf(viewer, archive.download.url);
  else viewer.replaceChildren(h("p", {}, "档案文件尚在处理，请稍后再打开。"));
}

function decisionForm(item, archive, li) {
  const id = `decide-${item.member_id}`;
  const form = h("form", { class: "zhtj-form zhtj-decision", id, method: "post", novalidate: true });
  const legend = item.kind === "change" ? "变更申请审批意见" : "审批意见";
  form.append(
    h("fieldset", { class: "zhtj-field" },
      h("legend", { class: "zhtj-label" }, legend),
      h("label", {}, h("input", { type: "radio", name: "decision", value: "approve", id: `${id}-yes` }), " 同意"),
      h("br"),
      h("label", {}, h("input", { type: "radio", name: "decision", value: "reject", id: `${id}-no` }), " 不同意")),
    h("div", { class: "zhtj-field" },
      h("label", { class: "zhtj-label", for: `${id}-reason` }, "理由"),
      h("p", { class: "zhtj-hint", id: `${id}-reason-hint` }, "不同意时必须填写，会反馈给下级团组织（操作指引 3.3.1）；同意时可不填。"),
      h("textarea", { class: "zhtj-input zhtj-textarea", id: `${id}-reason`, name: "reason", rows: "3",
        "aria-describedby": `${id}-reason-hint` })),
    h("button", { type: "submit", class: "zhtj-button" }, "提交"),
  );
  // The error summary goes before the form: the form needs a parent first.
  const wrapper = h("div", { class: "zhtj-decision-wrapper" }, form);
  const errors = createFormErrors(form, { title: "未能提交审批" });
  guardSubmit(form, async () => {
    const choice = form.querySelector("input[name=decision]:checked");
    const reason = valueOf(form, "reason");
    if (!choice) return errors.show([{ field: "decision", message: "请选择“同意”或“不同意”" }]);
    const approve = choice.value === "approve";
    if (!approve && !reason) return errors.show([{ field: "reason", message: "选择“不同意”时须写明理由" }]);
    errors.clear();
    const path = item.kind === "change"
      ? `members/${encodeURIComponent(item.member_id)}/archive/change-requests/decision`
      : `members/${encodeURIComponent(item.member_id)}/archive/decision`;
    const body = item.kind === "change" ? { approve, reason: reason || null } : { version: archive.version, approve, reason: reason || null };
    try {
      await post(path, body);
    } catch (error) {
      errors.show(errorsFromApi(error));
      return;
    }
    li.remove();
    updateCount();
    const outcome = approve ? "同意" : "不同意";
    setStatus(announce, `已提交：${item.name}（${item.kind_label}）—— ${outcome}。`);
    heading.focus();
  });
  return wrapper;
}

async function main() {
  let me = null;
  try {
    me = await startConsolePage();
    orgId = param("org") || me.org.org_id;
    filter.elements.namedItem("kind").value = param("kind") || "";
    filter.elements.namedItem("q").value = param("q") || "";
    filter.elements.namedItem("mine").checked = param("mine") === "1" || param("mine") === "true";
    await load({ reset: true });
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

filter.addEventListener("submit", async (event) => {
  event.preventDefault();
  const url = new URL(window.location.href);
  for (const name of ["kind", "q", "mine"]) url.searchParams.delete(name);
  const kind = filter.elements.namedItem("kind").value;
  const q = valueOf(filter, "q");
  if (kind) url.searchParams.set("kind", kind);
  if (q) url.searchParams.set("q", q);
  if (filter.elements.namedItem("mine").checked) url.searchParams.set("mine", "1");
  history.replaceState(history.state, "", url);
  root.dataset.state = "loading";
  try {
    await load({ reset: true });
    setStatus(announce, `找到 ${list.children.length} 项${next ? "（还有更多）" : ""}。`);
    root.dataset.state = "ready";
  } catch (error) {
    setStatus(announce, errorsFromApi(error)[0].message);
    root.dataset.state = "ready";
  }
});

more.addEventListener("click", async () => {
  try {
    await load({ reset: false });
  } catch (error) {
    setStatus(announce, errorsFromApi(error)[0].message);
  }
});

main();
