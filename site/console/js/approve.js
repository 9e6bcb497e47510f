// 邮件审批链接页（console/approve.html#t=令牌）：无需登录，凭链接里的令牌查看并审批一份团员电子档案。
//
// - 令牌在地址的 # 之后（片段）：浏览器从不把片段发给服务器，所以它不会出现在任何访问日志、
//   代理或 Referer 里。页面读出令牌后立即把它从地址栏和历史记录中去掉，只保存在本标签页的
//   sessionStorage 里（刷新页面仍可用，关闭标签页即清除），再用 POST 把它交给接口。
// - 打开页面只读取（POST /api/approval-links/view 不改变任何状态）；邮件安全扫描程序打开链接
//   不会做出审批。“同意”“不同意”是两个表单的按钮，各自 POST /api/approval-links/decision。
// - 同意须填写《入团志愿书》首页发展团员编号的后四位（页面只显示前八位）；不同意须写明理由。
// - 链接失效（已处理、已过期、已被新上传的档案替代、无效、已锁定）时显示原因，不显示团员信息。

import { api, ApiError } from "./api.js";
import { h, pageParts, setStatus } from "./common.js";
import { createFormErrors, errorsFromApi, guardSubmit, valueOf } from "./forms.js";
import { showPdf } from "./pdf-view.js";

const TOKEN_KEY = "zhtj.approve.token";
const TOKEN_PATTERN = /(?:^#|[#&])t=([A-Za-z0-9_-]{43})(?:&|$)/;

const { root, status, view } = pageParts("approve");
const refused = document.getElementById("approve-refused");
const done = document.getElementById("approve-done");
const approveForm = document.getElementById("approve-form");
const rejectForm = document.getElementById("reject-form");
const approveErrors = createFormErrors(approveForm, { title: "未能提交“同意”" });
const rejectErrors = createFormErrors(rejectForm, { title: "未能提交“不同意”" });

const REFUSAL_TITLES = {
  link_invalid: "审批链接无效",
  link_expired: "审批链接已过期",
  link_superseded: "审批链接已作废",
  already_decided: "该档案已处理",
  link_locked: "审批链接已锁定",
  approver_changed: "审批链接已失效",
  decision_in_progress: "另一次提交正在处理",
};

/** 从地址片段取令牌（并从地址栏、历史记录中去掉）；没有时用本标签页先前保存的。 */
function takeToken() {
  const match = TOKEN_PATTERN.exec(window.location.hash);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, match[1]);
    history.replaceState(history.state, "", window.location.pathname + window.location.search);
    return match[1];
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

const token = takeToken();

function post(path, body) {
  return api(`approval-links/${path}`, { method: "POST", body: { token, ...body }, auth: false });
}

function showRefusal(error) {
  const code = error instanceof ApiError ? error.code : "";
  const title = REFUSAL_TITLES[code] || "暂时无法审批";
  const message = error instanceof ApiError ? error.message : "出现意外错误，请刷新页面后重试";
  document.getElementById("approve-refused-title").textContent = title;
  document.getElementById("approve-refused-text").textContent = message;
  setStatus(status, "");
  view.hidden = true;
  done.hidden = true;
  refused.hidden = false;
  root.dataset.state = "refused";
  root.dataset.code = code;
  document.title = `${title} - ${document.title}`;
  refused.focus();
}

function showDone(result) {
  document.getElementById("approve-done-text").textContent = result.message;
  view.hidden = true;
  refused.hidden = true;
  done.hidden = false;
  root.dataset.state = "decided";
  root.dataset.decision = result.decision;
  if (token) sessionStorage.removeItem(TOKEN_KEY);
  done.focus();
}

// 这些错误说明链接本身已不能用：整页显示原因；其余（如后四位不对、缺少理由）显示在表单上。
const LINK_ERRORS = new Set(Object.keys(REFUSAL_TITLES));

async function decide(form, errors, body) {
  try {
    showDone(await post("decision", body));
  } catch (error) {
    if (error instanceof ApiError && LINK_ERRORS.has(error.code)) return showRefusal(error);
    errors.show(errorsFromApi(error));
  }
}

function render(data) {
  const member = data.member;
  const archive = data.archive;
  const rows = [
    ["姓名", member.name],
    ["性别", member.gender],
    ["民族", member.ethnicity],
    ["入团年月", member.join_month],
    ["在读状况", member.study_status],
    ["所在团支部", member.branch_name],
    ["发展团员编号", member.number_masked],
    ["档案版本", `第 ${archive.version} 版${archive.pages ? `（共 ${archive.pages} 页）` : ""}`],
    ["上传组织", archive.uploader_name],
    ["审批组织", data.decider_name],
  ].filter(([, value]) => value);
  document.getElementById("approve-member").replaceChildren(
    ...rows.map(([term, value]) => h("div", { class: "zhtj-summary-list__row" }, h("dt", {}, term), h("dd", {}, value))),
  );
  document.getElementById("approve-number-shown").textContent = member.number_shown;
  document.getElementById("approve-expiry").textContent =
    `本链接只发给 ${data.approver}，有效期至 ${data.expires_at_text}，审批一次后即失效。`;
  setStatus(status, "");
  view.hidden = false;
  root.dataset.state = "ready";
  document.title = `审批：${member.name} - ${document.title}`;
  const pdf = document.getElementById("approve-pdf");
  if (data.file && data.file.url) {
    showPdf(pdf, data.file.url, { title: "《入团志愿书》" });
  } else {
    pdf.dataset.state = "error";
    pdf.querySelector("[data-pdf-status]").textContent = "档案文件尚在处理，请稍后刷新页面。";
  }
}

async function main() {
  if (!token) {
    return showRefusal(new ApiError(404, {
      code: "link_invalid",
      message: "没有找到审批链接中的令牌：请从审批邮件中完整地打开链接，或登录控制台在“档案审批”页面审批。",
    }));
  }
  try {
    render(await post("view", {}));
  } catch (error) {
    showRefusal(error);
  }
}

guardSubmit(approveForm, async () => {
  rejectErrors.clear();
  const digits = valueOf(approveForm, "last_four");
  if (!/^[0-9０-９]{4}$/.test(digits)) {
    approveErrors.show([{ field: "last_four", message: "请填写《入团志愿书》首页发展团员编号的后四位（4位数字）" }]);
    return;
  }
  approveErrors.clear();
  await decide(approveForm, approveErrors, { approve: true, last_four: digits });
});

guardSubmit(rejectForm, async () => {
  approveErrors.clear();
  const reason = valueOf(rejectForm, "reason");
  if (!reason) {
    rejectErrors.show([{ field: "reason", message: "选择“不同意”时须写明理由，系统会反馈给下级团组织" }]);
    return;
  }
  if ([...reason].length > 500) {
    rejectErrors.show([{ field: "reason", message: `理由不能超过500字，当前为${[...reason].length}字` }]);
    return;
  }
  rejectErrors.clear();
  await decide(rejectForm, rejectErrors, { approve: false, reason });
});

main();
