// 团员档案（console/archive.html?member=团员编号）：上传团员档案 / 替换档案（操作指引 3.2、4.5）。
//
// 1. GET /api/members/{id}/archive：状态、可做的操作（actions）、历次版本和上传记录；
// 2. 上传：POST /api/members/{id}/archive/uploads 得到只能上传到指定位置的签名表单（S3 预签名 POST），
//    用 XMLHttpRequest 把 PDF 直接传到 S3，进度显示在进度条上；
// 3. 轮询 GET /api/members/{id}/archive，直到检查程序（validation worker）对这次上传给出结论：
//    接收为第 N 版（团支部、团总支上传的待上级团委审批，团委上传的直接认证，操作指引 3.2.2），
//    或者拒绝——拒绝的原因是检查程序自己的中文说明（太大、不是 PDF 而是什么文件、已加密、已损坏、
//    没有页面、首页编号与系统不一致……，zhtj.readers.pdf），原样显示；
// 4. “团员身份已认证”的档案不能直接替换：先提出变更申请（POST …/archive/change-requests），
//    上级团委同意后才能上传一次新的档案，走同样的流程（操作指引 4.5）。每一版都保留，列在“档案版本”里。

import { get, post } from "./api.js";
import {
  consoleUrl,
  formatTime,
  h,
  labelCells,
  pageParts,
  param,
  setStatus,
  showPageError,
  startConsolePage,
} from "./common.js";
import { createFormErrors, errorsFromApi, guardSubmit, valueOf } from "./forms.js";
import { ARCHIVE_MAX_BYTES } from "./member-rules.js";
import { progressDisplay, uploadTo } from "./upload.js";

const POLL_MS = 1000;
const POLL_LIMIT_MS = 180_000;
const COPY_WAIT_MS = 5_000;
const MiB = 1024 * 1024;

const NOT_CERTIFIED = "尚未认证";
const PENDING = "待审批";
const CERTIFIED = "团员身份已认证";
const REJECTED = "认证不通过";

const { root, status, problem, view } = pageParts("archive");
const verdict = document.getElementById("archive-verdict");
const uploadSection = document.getElementById("archive-upload");
const uploadForm = document.getElementById("archive-upload-form");
const fileInput = uploadForm.elements.namedItem("file");
const changeSection = document.getElementById("archive-change");
const changeForm = document.getElementById("archive-change-form");
const progress = progressDisplay(
  document.getElementById("archive-progress"),
  document.getElementById("archive-progress-label"),
  document.getElementById("archive-progress-bar"),
);
const uploadErrors = createFormErrors(uploadForm, { title: "无法上传" });
const changeErrors = createFormErrors(changeForm, { title: "无法提交变更申请" });

const memberId = param("member");
const archivePath = () => `members/${encodeURIComponent(memberId)}/archive`;

const sizeText = (bytes) => (bytes >= MiB ? `${(bytes / MiB).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`);

async function main() {
  let me = null;
  let archive;
  try {
    me = await startConsolePage();
    if (!memberId) throw new Error("no member");
    archive = await get(archivePath());
  } catch (error) {
    setStatus(status, "");
    if (!memberId) {
      problem.replaceChildren(h("p", { role: "alert" }, "没有指定团员。请从“查询团员”的结果中打开团员的档案。"),
        h("p", {}, h("a", { href: consoleUrl("members.html") }, "查询团员")));
      problem.hidden = false;
    } else {
      showPageError(problem, error, { me, titles: { 403: "无权查看该团员的档案", 404: "找不到该团员" } });
    }
    root.dataset.state = "error";
    return;
  }
  setStatus(status, "");
  guardSubmit(uploadForm, () => upload());
  guardSubmit(changeForm, () => requestChange());
  render(archive);
  view.hidden = false;
  root.dataset.state = "ready";
}

// --- the page --------------------------------------------------------------------------------

function render(archive) {
  document.getElementById("archive-member-name").textContent = `${archive.name}的《入团志愿书》电子档案`;
  const rows = [
    ["发展团员编号", archive.member_number],
    ["所在团支部", archive.branch_name],
    ["入团年月", archive.join_month],
    ["档案状态", archive.archive_state + changeNote(archive)],
    ["当前版本", archive.version ? `第 ${archive.version} 版` : "未上传"],
    ["上传期限", archive.archive_state === NOT_CERTIFIED ? `${archive.due_date}前${archive.overdue ? "（已逾期）" : ""}` : null],
    ["审批组织", archive.decider && (archive.archive_state === PENDING || archive.change_requested) ? archive.decider.name : null],
    ["不通过理由", archive.archive_state === REJECTED ? archive.reason : null],
    ["变更理由", archive.change_requested ? archive.change_reason : null],
  ].filter(([, value]) => value);
  document.getElementById("archive-details").replaceChildren(
    ...rows.map(([term, value]) => h("div", { class: "zhtj-summary-list__row" }, h("dt", {}, term), h("dd", {}, value))),
  );
  document.getElementById("archive-explanation").textContent = explain(archive);
  root.dataset.archiveState = archive.archive_state;
  root.dataset.version = String(archive.version);

  const replacing = archive.version > 0;
  uploadSection.hidden = !archive.actions.upload;
  document.getElementById("archive-upload-title").textContent = replacing ? "替换档案" : "上传团员档案";
  document.getElementById("archive-upload-button").textContent = replacing ? "替换档案" : "上传档案";
  changeSection.hidden = !archive.actions.request_change;
  const decides = archive.actions.decide || archive.actions.decide_change;
  document.getElementById("archive-decide").hidden = !decides;
  if (decides) {
    document.getElementById("archive-decide-link").href = consoleUrl("approvals.html", {
      q: archive.member_number,
      kind: archive.actions.decide_change ? "change" : "archive",
    });
  }
  renderVersions(archive);
  renderUploads(archive);
  document.getElementById("archive-search-link").href = consoleUrl("members.html");
}

function changeNote(archive) {
  if (archive.change_requested) return "（变更申请待审批）";
  if (archive.change_approved) return "（变更申请已同意）";
  return "";
}

function explain(archive) {
  const decider = archive.decider ? `“${archive.decider.name}”` : "上级团委";
  switch (archive.archive_state) {
    case NOT_CERTIFIED:
      return archive.overdue
        ? `还没有上传《入团志愿书》，已超过上传期限（${archive.due_date}，上级团委审批同意入团后30日内）。请尽快上传。`
        : `还没有上传《入团志愿书》。请在 ${archive.due_date} 前上传（上级团委审批同意入团后30日内，操作指引 2）。`;
    case PENDING:
      return `第 ${archive.version} 版档案等待${decider}审批。审批前如发现文件有误，可以直接替换：新上传的文件会替代正在审批的版本。`;
    case REJECTED:
      return `第 ${archive.version} 版档案未通过审批${archive.reason ? `，理由：${archive.reason}` : ""}。请按理由修改后点“替换档案”重新上传（操作指引 3.2.1）。`;
    case CERTIFIED:
      if (archive.change_requested) return `变更申请等待${decider}审批；审批同意后可以上传一次新的档案替换当前版本（操作指引 4.5）。`;
      if (archive.change_approved) return "变更申请已获同意：可以上传一次新的档案替换当前版本（操作指引 4.5）。";
      return archive.actions.request_change
        ? "团员身份已认证，计入新发展团员。如需更换档案，须先提出变更申请，经上级团委审批同意后重新上传（操作指引 4.5）。"
        : "团员身份已认证，计入新发展团员。如需更换档案，须由团员所在团支部（团总支）管理员提出变更申请，经上级团委审批同意后重新上传（操作指引 4.5）。";
    default:
      return "";
  }
}

function renderVersions(archive) {
  const versions = [...archive.versions].reverse();
  const body = document.getElementById("archive-version-rows");
  body.replaceChildren(...versions.map((version) => versionRow(version, archive)));
  labelCells(document.getElementById("archive-versions"));
  document.getElementById("archive-versions-wrap").hidden = versions.length === 0;
  document.getElementById("archive-versions-empty").hidden = versions.length !== 0;
}

function versionRow(version, archive) {
  const current = version.version === archive.version;
  const file = version.file_ready
    ? h("button", { type: "button", class: "zhtj-button zhtj-button--secondary zhtj-button--small" }, `下载第 ${version.version} 版`)
    : "处理中";
  if (version.file_ready) file.addEventListener("click", () => download(version.version, file));
  return h(
    "tr",
    { dataset: { version: String(version.version) } },
    h("td", { class: "zhtj-nowrap" }, `第 ${version.version} 版${current ? "（当前）" : ""}`),
    h("td", { class: "zhtj-nowrap" }, formatTime(version.accepted_at)),
    h("td", {}, version.uploader_org_name || version.uploaded_by || ""),
    h("td", {}, version.pages ? `${version.pages} 页` : ""),
    h("td", { class: "zhtj-nowrap" }, version.size ? sizeText(version.size) : ""),
    h("td", {}, decisionText(version, current, archive)),
    h("td", {}, file),
  );
}

function decisionText(version, current, archive) {
  if (version.decision === "approved") return `同意（${version.decided_by}，${formatTime(version.decided_at)}）`;
  if (version.decision === "rejected") return `不同意：${version.decision_reason || ""}（${version.decided_by}，${formatTime(version.decided_at)}）`;
  if (version.state_on_upload === CERTIFIED) return "无需审批（团委上传，操作指引 3.2.2）";
  if (current && archive.archive_state === PENDING) return `待审批（${version.decider_name || "上级团委"}）`;
  return "未审批（已被新版本替代）";
}

async function download(version, button) {
  try {
    const file = await get(`${archivePath()}/versions/${version}/file`);
    window.location.assign(file.url);
  } catch (error) {
    button.after(h("span", { role: "alert", class: "zhtj-error-message" }, errorsFromApi(error)[0].message));
  }
}

function renderUploads(archive) {
  // 只列出已有结论的上传（已接收或被拒绝）；仍在等待文件或检查的不列。
  const done = archive.uploads.filter((item) => item.status !== "requested");
  document.getElementById("archive-upload-list").replaceChildren(...done.map(uploadItem));
  document.getElementById("archive-uploads-empty").hidden = done.length !== 0;
}

function uploadItem(item) {
  const when = `${formatTime(item.processed_at || item.requested_at)}，${item.requested_by || ""}`;
  const findings = item.verdict || { errors: [], warnings: [] };
  if (item.status === "accepted") {
    return h(
      "li",
      { dataset: { status: "accepted" } },
      h("strong", {}, `已接收为第 ${item.version} 版`),
      `（${when}）`,
      findings.warnings.length ? h("ul", {}, ...findings.warnings.map((w) => h("li", {}, `请注意：${w.message}`))) : null,
    );
  }
  return h(
    "li",
    { dataset: { status: "refused" } },
    h("strong", { class: "zhtj-refused" }, "未被接收"),
    `（${when}）`,
    h("ul", {}, ...findings.errors.map((e) => h("li", { dataset: { code: e.code } }, e.message))),
  );
}

// --- uploading -------------------------------------------------------------------------------

function check(file) {
  if (!file) return [{ field: "file", message: "请选择《入团志愿书》PDF 文件" }];
  if (!file.name.toLowerCase().endsWith(".pdf")) {
    return [{ field: "file", message: `“${file.name}”不是 PDF 文件。请用扫描软件或手机扫描 APP 把《入团志愿书》各页按顺序合成 1 份 PDF 后再上传（操作指引 5.2）` }];
  }
  if (file.size === 0) return [{ field: "file", message: "文件是空的（0 字节），请重新选择《入团志愿书》PDF 文件" }];
  if (file.size > ARCHIVE_MAX_BYTES) {
    return [{ field: "file", message: `文件大小为 ${sizeText(file.size)}，超过了 ${ARCHIVE_MAX_BYTES / MiB} MB 的上限（操作指引 4.1：文件大小不超过20M）。请适当降低扫描分辨率（如 150–200 dpi）或选择“压缩”后重新生成 PDF，再上传` }];
  }
  return [];
}

async function upload() {
  verdict.hidden = true;
  const file = fileInput.files && fileInput.files[0];
  if (uploadErrors.refuse(check(file))) return;
  let ticket;
  try {
    ticket = await post(`${archivePath()}/uploads`);
  } catch (error) {
    uploadErrors.show(errorsFromApi(error));
    return;
  }
  uploadErrors.clear();
  uploadForm.hidden = true;
  root.dataset.state = "uploading";
  progress.show("正在上传文件：0%", 0);
  try {
    await uploadTo(ticket, file, (fraction) => progress.show(`正在上传文件：${Math.round(fraction * 100)}%`, fraction));
  } catch (message) {
    progress.hide();
    uploadForm.hidden = false;
    uploadErrors.show([{ field: "file", message: String(message) }]);
    root.dataset.state = "ready";
    return;
  }
  progress.show("文件已上传（100%），系统正在检查文件……", 1);
  root.dataset.state = "checking";
  await follow(ticket.upload_id);
}

/** 轮询档案，直到这次上传有了结论（已接收或被拒绝）。 */
async function follow(uploadId) {
  const deadline = Date.now() + POLL_LIMIT_MS;
  let copyDeadline = 0;
  for (;;) {
    let archive;
    try {
      archive = await get(archivePath());
    } catch (error) {
      progress.hide();
      showPageError(problem, error);
      view.hidden = true;
      root.dataset.state = "error";
      return;
    }
    const mine = archive.uploads.find((item) => item.upload_id === uploadId);
    // 接收后文件还要复制到档案位置（几百毫秒）：稍等片刻，版本表里就能直接下载。
    const copying = mine && mine.status === "accepted" && !archive.versions.some((v) => v.version === mine.version && v.file_ready);
    if (copying && !copyDeadline) copyDeadline = Date.now() + COPY_WAIT_MS;
    if (mine && mine.status !== "requested" && !(copying && Date.now() < copyDeadline)) {
      progress.hide();
      uploadForm.reset();
      uploadForm.hidden = false;
      render(archive);
      showVerdict(mine, archive);
      root.dataset.state = "ready";
      return;
    }
    if (Date.now() > deadline) {
      progress.show("系统检查文件的时间较长。检查结果会显示在本页的“上传记录”里，请稍后刷新本页查看。", 1);
      uploadForm.reset();
      uploadForm.hidden = false;
      root.dataset.state = "ready";
      return;
    }
    await new Promise((done) => setTimeout(done, POLL_MS));
  }
}

function showVerdict(item, archive) {
  const accepted = item.status === "accepted";
  const findings = item.verdict || { errors: [], warnings: [] };
  let text;
  if (!accepted) text = `档案没有改变（仍为“${archive.archive_state}”）。请按上面的说明处理后重新上传。`;
  else if (archive.archive_state === CERTIFIED) text = "档案状态：团员身份已认证（本组织是团委，上传的档案无需审批，操作指引 3.2.2）。";
  else text = `档案状态：待审批，等待${archive.decider ? `“${archive.decider.name}”` : "上级团委"}审批。审批结果会显示在本页。`;
  showPanel({
    status: item.status,
    title: accepted ? `档案已接收：第 ${item.version} 版` : "文件未被接收",
    text,
    errors: findings.errors,
    warnings: findings.warnings,
  });
}

/** 结果面板（role="alert"，显示后获得焦点）：status 为 accepted / refused / change_requested。 */
function showPanel({ status: outcome, title, text, errors = [], warnings = [] }) {
  verdict.classList.toggle("zhtj-panel--success", outcome !== "refused");
  verdict.classList.toggle("zhtj-panel--error", outcome === "refused");
  verdict.dataset.status = outcome;
  document.getElementById("archive-verdict-title").textContent = title;
  document.getElementById("archive-verdict-text").textContent = text;
  const errorList = document.getElementById("archive-verdict-errors");
  errorList.replaceChildren(...errors.map((e) => h("li", { dataset: { code: e.code } }, e.message)));
  errorList.hidden = errors.length === 0;
  document.getElementById("archive-verdict-warning-list").replaceChildren(...warnings.map((w) => h("li", {}, w.message)));
  document.getElementById("archive-verdict-warnings").hidden = warnings.length === 0;
  verdict.hidden = false;
  verdict.focus();
}

// --- change request (§4.5) -------------------------------------------------------------------

async function requestChange() {
  verdict.hidden = true;
  const reason = valueOf(changeForm, "reason");
  if (!reason) {
    changeErrors.show([{ field: "reason", message: "请写明变更理由" }]);
    return;
  }
  try {
    await post(`${archivePath()}/change-requests`, { reason });
  } catch (error) {
    changeErrors.show(errorsFromApi(error));
    return;
  }
  changeErrors.clear();
  changeForm.reset();
  const archive = await get(archivePath());
  render(archive);
  showPanel({
    status: "change_requested",
    title: "变更申请已提交",
    text: `变更申请等待${archive.decider ? `“${archive.decider.name}”` : "上级团委"}审批。审批同意后，本页会出现“替换档案”，可以上传一次新的档案。`,
  });
}

main();
