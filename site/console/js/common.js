// 控制台各页面共用的小工具：建 DOM、页面启动（要求登录、显示当前账号和“退出登录”）、
// 整页错误（无权访问、不存在、加载失败）以及组织相关的小函数。
//
// 所有内容都用 textContent 写入，从不拼 innerHTML：组织名称等由用户填写，
// 不能让它们变成页面里的标签或脚本。

import { ApiError, clearToken, currentToken, get, redirectToSignIn, signInUrl } from "./api.js";

/** h("a", { href: "x", class: "y" }, "文字", childNode) — 建一个元素。 */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (key === "class") element.className = value;
    else if (key === "dataset") Object.assign(element.dataset, value);
    else if (value === true) element.setAttribute(key, "");
    else element.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** 页面地址中的查询参数。 */
export function param(name) {
  return new URLSearchParams(window.location.search).get(name);
}

/** 控制台页面的地址（相对于 console/ 目录），如 consoleUrl("index.html", { org: "3201" })。 */
export function consoleUrl(page, params = {}) {
  const url = new URL(`../${page}`, import.meta.url);
  for (const [key, value] of Object.entries(params)) if (value) url.searchParams.set(key, value);
  return url.href;
}

/**
 * 需要登录的页面先调用它：没有有效令牌就去登录页（登录后回来），
 * 否则读取 /api/me，在页面的 [data-zhtj-account] 处显示当前账号和“退出登录”按钮。
 * 返回 /api/me 的内容 { username, role, org }。
 */
export async function startConsolePage() {
  if (!currentToken()) return redirectToSignIn();
  const me = await get("me");
  renderAccountBar(me);
  return me;
}

/**
 * 讲一个组织的页面（?org=组织编号，默认是本组织）的启动：startConsolePage()，读取该组织，
 * 再调用 load(org, me)（可省略）取页面还需要的数据。任何一步出错都显示整页错误
 * （403/404/其他）、把 root 的 data-state 设为 "error" 并返回 null；否则清掉加载中的状态文字，
 * 返回 { me, org, data }（data 是 load 的结果）。
 */
export async function startOrgPage({ root, status, problem, load = null }) {
  let me = null;
  try {
    me = await startConsolePage();
    const orgId = param("org") || me.org.org_id;
    const org = orgId === me.org.org_id ? me.org : await get(`orgs/${encodeURIComponent(orgId)}`);
    const data = load ? await load(org, me) : null;
    setStatus(status, "");
    return { me, org, data };
  } catch (error) {
    setStatus(status, "");
    showPageError(problem, error, { me });
    root.dataset.state = "error";
    return null;
  }
}

/** 退出登录：令牌只在本标签页的 sessionStorage 里，清除即退出。 */
export function signOut() {
  clearToken();
  window.location.assign(signInUrl(null, { signed_out: "1" }));
}

function renderAccountBar(me) {
  for (const slot of document.querySelectorAll("[data-zhtj-account]")) {
    const button = h("button", { type: "button", class: "zhtj-button zhtj-button--secondary" }, "退出登录");
    button.addEventListener("click", signOut);
    slot.replaceChildren(
      h("p", { class: "zhtj-account__who" }, "当前账号：", h("strong", {}, me.username), `（${me.org.name}）`),
      button,
    );
    slot.hidden = false;
  }
}

// 整页错误的默认标题；页面讲的不是组织时用 showPageError 的 titles 选项换掉。
const PAGE_ERROR_TITLES = { 403: "无权查看该组织", 404: "找不到该组织", other: "加载失败" };

/**
 * 整页错误：把 container 的内容换成一个标题和说明，焦点移到标题上（读屏软件会读出），
 * 并给出回到本组织工作台的链接（传入 me 时）。403/404 有各自的标题，其他错误附“重试”按钮。
 * titles 可覆盖默认标题，如 { 404: "找不到该档案" }。
 */
export function showPageError(container, error, { me = null, titles = {} } = {}) {
  const status = error instanceof ApiError ? error.status : -1;
  const message = error instanceof ApiError ? error.message : "出现意外错误，请刷新页面后重试";
  const names = { ...PAGE_ERROR_TITLES, ...titles };
  const title = status === 403 || status === 404 ? names[status] : names.other;
  const heading = h("h2", { class: "zhtj-page-error__title", tabindex: "-1" }, title);
  const parts = [heading, h("p", {}, message)];
  if (status === 403) parts.push(h("p", {}, "您只能查看和管理本组织及其下级组织。如需访问其他组织，请联系该组织或其上级团委的管理员。"));
  if (me) parts.push(h("p", {}, h("a", { href: consoleUrl("index.html") }, `返回本组织（${me.org.name}）工作台`)));
  if (status !== 403 && status !== 404) {
    const retry = h("button", { type: "button", class: "zhtj-button zhtj-button--secondary" }, "重试");
    retry.addEventListener("click", () => window.location.reload());
    parts.push(h("p", {}, retry));
  }
  container.replaceChildren(h("div", { class: "zhtj-page-error", role: "alert" }, parts));
  container.hidden = false;
  document.title = `${title} - ${document.title}`;
  heading.focus();
}

/**
 * 在页面的槽位（如工作台的 [data-zhtj-slot="archive-missing"]）显示一条重要提示横幅。
 * 只有当接口说明确实有需要提醒的事时才调用；没有时槽位保持隐藏、不占位置。
 * link 为 { href, text }，可省略。
 */
export function showBanner(slot, { title = "重要提示", text, link } = {}) {
  const heading = h("h2", { class: "zhtj-banner__title", id: `${slot.id || "banner"}-title` }, title);
  const body = h("p", { class: "zhtj-banner__text" }, text);
  if (link) body.append(" ", h("a", { href: link.href }, link.text));
  slot.replaceChildren(h("div", { class: "zhtj-banner", role: "region", "aria-labelledby": heading.id }, heading, body));
  slot.hidden = false;
}

/** 组织的简要描述：“团支部 · 初中”。 */
export function describeOrg(org) {
  return org.industry ? `${org.kind} · ${org.industry}` : org.kind;
}

/**
 * 表格在手机上按行叠成卡片（CSS 类 zhtj-table--stack）时，每个单元格前显示所在列的标题：
 * 把 <th> 的文字写进同列 <td> 的 data-label。表格内容更新后调用。
 */
export function labelCells(table) {
  const headings = [...table.querySelectorAll("thead th")].map((th) => th.textContent);
  for (const row of table.querySelectorAll("tbody tr")) {
    [...row.children].forEach((cell, index) => {
      cell.dataset.label = headings[index] || "";
    });
  }
}

/** ISO 时间 → 北京时间的“2023/4/5 14:03:00”；没有时间时为空字符串。 */
export function formatTime(iso) {
  return iso ? new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false }) : "";
}

/**
 * 控制台页面的固定部分，按页面的 id 约定取出：#{id}（data-state 所在的根元素）、#{id}-status（加载中的
 * 状态文字）、#{id}-error（整页错误）、#{id}-view（页面内容）。页面没有的部分为 null。
 */
export function pageParts(id) {
  const part = (suffix) => document.getElementById(`${id}${suffix}`);
  return { root: part(""), status: part("-status"), problem: part("-error"), view: part("-view") };
}

/** 把一个状态文字写进 role="status" 的元素（读屏软件会读出，不打断用户）。 */
export function setStatus(element, text) {
  if (!element) return;
  element.textContent = text;
  element.hidden = !text;
}
