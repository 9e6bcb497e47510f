// 批量导入（console/import.html?org=组织编号，默认是本组织；?job= 打开一个导入任务）。
//
// 1. POST /api/orgs/{org}/imports 得到导入任务和一个只能上传到指定位置的签名表单（S3 预签名 POST）；
// 2. 用 XMLHttpRequest 把文件直接传到 S3，上传进度显示在进度条上（fetch 没有上传进度）；
// 3. 轮询 GET /api/imports/{job}：校验和导入进度（已处理 / 总行数），完成后显示
//    “成功导入 N 位团员，M 位团员导入失败”、失败原因表格的下载链接和前 20 行的失败原因。
// 任务编号写进地址栏（?job=），刷新页面会接着显示同一个任务。

import { get, post } from "./api.js";
import { describeOrg, h, pageParts, param, showPageError, startOrgPage } from "./common.js";
import { createFormErrors, guardSubmit } from "./forms.js";
import { progressDisplay, uploadTo } from "./upload.js";

const EXTENSIONS = [".xlsx", ".xls", ".csv"];
const POLL_MS = 1000;

const { root, status, problem, view } = pageParts("import");
const form = document.getElementById("import-form");
const fileInput = form.elements.namedItem("file");
const progress = document.getElementById("import-progress");
const progressLabel = document.getElementById("import-progress-label");
const progressBar = document.getElementById("import-progress-bar");
const result = document.getElementById("import-result");
const errors = createFormErrors(form, { aliases: { file_name: "file" } });
const { show: showProgress } = progressDisplay(progress, progressLabel, progressBar);

async function main() {
  const started = await startOrgPage({ root, status, problem });
  if (!started) return;
  const { org } = started;
  document.getElementById("import-org-name").textContent = org.name;
  document.getElementById("import-org-kind").textContent = describeOrg(org);
  if (org.kind === "团支部") {
    // 团支部是最基层组织：只能导入团员。
    const branches = document.getElementById("template-branches");
    branches.disabled = true;
    branches.parentElement.append("（团支部是最基层组织，不能导入下级组织）");
  }
  guardSubmit(form, () => submit(org));
  document.getElementById("import-again").addEventListener("click", reset);
  view.hidden = false;
  root.dataset.state = "ready";
  const job = param("job");
  if (job) await follow(job);
}

function chosenTemplate() {
  const checked = form.querySelector('input[name="template"]:checked');
  return checked ? checked.value : "members";
}

function check(file) {
  if (!file) return [{ field: "file", message: "请选择要上传的文件" }];
  const name = file.name.toLowerCase();
  if (!EXTENSIONS.some((extension) => name.endsWith(extension))) {
    return [{ field: "file", message: "只能导入 .xlsx、.xls 或 .csv 文件，请使用下载的导入模板填写后上传" }];
  }
  if (file.size === 0) return [{ field: "file", message: "文件是空的，请检查后重新选择" }];
  return [];
}

async function submit(org) {
  result.hidden = true;
  const file = fileInput.files && fileInput.files[0];
  if (errors.refuse(check(file))) return;
  let ticket;
  try {
    ticket = await post(`orgs/${encodeURIComponent(org.org_id)}/imports`, {
      template: chosenTemplate(),
      file_name: file.name,
      dry_run: form.elements.namedItem("dry_run").checked,
    });
  } catch (error) {
    errors.show([{ field: error.field === "file_name" ? "file" : error.field || undefined, message: error.message }]);
    return;
  }
  if (file.size > ticket.upload.max_bytes) {
    errors.show([{ field: "file", message: `文件过大，上限为 ${Math.floor(ticket.upload.max_bytes / 1048576)} MB，请分成多个文件上传` }]);
    return;
  }
  errors.clear();
  form.hidden = true;
  remember(ticket.job_id);
  showProgress("正在上传文件……", 0);
  try {
    await uploadTo(ticket.upload, file, (fraction) => showProgress(`正在上传文件：${Math.round(fraction * 100)}%`, fraction));
  } catch (message) {
    progress.hidden = true;
    form.hidden = false;
    errors.show([{ field: "file", message: String(message) }]);
    return;
  }
  await follow(ticket.job_id);
}

/** 轮询导入任务，直到完成（或文件被拒绝）。 */
async function follow(jobId) {
  form.hidden = true;
  for (;;) {
    let job;
    try {
      job = await get(`imports/${encodeURIComponent(jobId)}`);
    } catch (error) {
      progress.hidden = true;
      showPageError(problem, error);
      return;
    }
    if (job.finished) {
      progress.hidden = true;
      showResult(job);
      return;
    }
    if (job.status === "waiting_upload") showProgress("文件已上传，等待系统处理……", 1);
    else if (!job.rows_total) showProgress(`${job.status_text}……`, 0);
    else showProgress(`${job.status_text}：已处理 ${job.rows_done} / ${job.rows_total} 行`, job.progress);
    await new Promise((done) => setTimeout(done, POLL_MS));
  }
}

function showResult(job) {
  const refused = job.status === "refused";
  result.classList.toggle("zhtj-panel--success", !refused);
  document.getElementById("import-result-title").textContent = refused ? "文件无法导入" : job.dry_run ? "试导入完成" : "导入完成";
  document.getElementById("import-result-text").textContent = job.message || job.status_text;
  const next = document.getElementById("import-next-step");
  next.textContent = job.next_step || "";
  next.hidden = !job.next_step;
  const report = document.getElementById("import-report");
  if (job.report) {
    const link = document.getElementById("import-report-link");
    link.href = job.report.url;
    link.textContent = `下载失败原因表格（${job.report.rows} 行）`;
    link.setAttribute("download", job.report.file_name || "");
    document.getElementById("import-report-note").textContent =
      `链接 ${Math.round(job.report.expires_in / 60)} 分钟内有效，过期后刷新本页即可重新获取。修改表格中的错误后可直接重新上传。`;
  }
  report.hidden = !job.report;
  const failures = document.getElementById("import-failures");
  document.getElementById("import-failures-list").replaceChildren(
    ...job.failures.map((failure) => h("li", {}, failure.errors.map((error) => error.message).join("；"))),
  );
  failures.hidden = job.failures.length === 0;
  result.hidden = false;
  result.focus();
}

function remember(jobId) {
  const url = new URL(window.location.href);
  url.searchParams.set("job", jobId);
  window.history.replaceState(null, "", url);
}

function reset() {
  const url = new URL(window.location.href);
  url.searchParams.delete("job");
  window.history.replaceState(null, "", url);
  result.hidden = true;
  progress.hidden = true;
  form.reset();
  form.hidden = false;
  fileInput.focus();
}

main();
