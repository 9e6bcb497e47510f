// 控制台的 API 客户端：所有页面模块都通过这里访问 /api/。
//
// 它做四件事，页面模块因此不必各自处理：
// 1. 带上登录时保存在 sessionStorage 里的 ID 令牌（Authorization: Bearer …）；
// 2. 解析 JSON 响应；
// 3. 401（未登录或令牌失效）时清除令牌，带着返回地址跳到登录页；
// 4. 出错时抛出 ApiError，其 message 是可以直接给用户看的中文（接口的 message 字段，
//    或者在接口没有给出中文说明时按状态码给出的说明），field 是出错的表单字段（如有）。
//
// 令牌放在 sessionStorage 而不是 localStorage：关闭标签页即退出，共用电脑上不会留下
// 长期有效的登录状态；同一标签页内跳转页面仍保持登录。

const TOKEN_KEY = "zhtj.console.idToken";
const EXPIRES_KEY = "zhtj.console.expiresAt";

// 页面地址按本模块自身的位置（console/js/）推算，所以站点放在任意路径下都能用。
export const SIGN_IN_PAGE = new URL("../login.html", import.meta.url);
export const DASHBOARD_PAGE = new URL("../index.html", import.meta.url);

// API 与站点同源，挂在 /api/ 下（template.yaml 的 HttpApi；本地由 infra/local/front.py 提供）。
const API_ROOT = new URL("/api/", window.location.origin);

// 令牌在到期前这么多毫秒就视为失效，免得请求在路上过期。
const EXPIRY_MARGIN_MS = 30_000;

// 接口自己的错误总带 code 和中文 message；API Gateway 自己的回答（如 401 的
// {"message":"Unauthorized"}、500 的 "Internal Server Error"）是英文且没有 code，
// 这时按状态码给出中文说明。
const STATUS_MESSAGES = {
  0: "无法连接服务器，请检查网络后重试",
  400: "请求格式不正确，请检查填写的内容",
  401: "登录已失效，请重新登录",
  403: "您无权执行此操作",
  404: "请求的内容不存在",
  409: "提交的内容与已有数据冲突",
  413: "提交的内容过大",
  422: "提交的内容不符合要求，请检查后重试",
  429: "操作过于频繁，请稍后再试",
  500: "服务器内部错误，请稍后重试",
  502: "服务暂时不可用，请稍后重试",
  503: "服务暂时不可用，请稍后重试",
  504: "服务器响应超时，请稍后重试",
};

/** 接口返回的错误。status 为 0 表示请求没有到达服务器。 */
export class ApiError extends Error {
  constructor(status, body) {
    const ours = body && typeof body.code === "string" && typeof body.message === "string" && body.message;
    super(ours ? body.message : STATUS_MESSAGES[status] ?? (status >= 500 ? STATUS_MESSAGES[500] : `请求失败（${status}）`));
    this.name = "ApiError";
    this.status = status;
    this.code = ours ? body.code : `http_${status}`;
    this.field = ours && typeof body.field === "string" ? body.field : null;
    // 一次列出所有问题的错误（如单个录入团员的 422 entry_rejected）：[{ field, code, message }]。
    this.errors = ours && Array.isArray(body.errors) ? body.errors.filter((e) => e && typeof e.message === "string") : [];
  }
}

// --- 令牌 ---------------------------------------------------------------------------------

/** 登录成功后保存令牌；expiresIn 为接口给出的有效秒数。 */
export function storeToken(idToken, expiresIn) {
  sessionStorage.setItem(TOKEN_KEY, idToken);
  sessionStorage.setItem(EXPIRES_KEY, String(Date.now() + Number(expiresIn) * 1000));
}

/** 当前有效的令牌；没有或已过期时返回 null（过期的顺手清除）。 */
export function currentToken() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const expiresAt = Number(sessionStorage.getItem(EXPIRES_KEY) || 0);
  if (!token) return null;
  if (!expiresAt || Date.now() > expiresAt - EXPIRY_MARGIN_MS) {
    clearToken();
    return null;
  }
  return token;
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(EXPIRES_KEY);
}

// --- 登录页与返回地址 -------------------------------------------------------------------------

/** 登录页地址；returnTo 给出时登录后回到那里（只保存同源的路径部分）。 */
export function signInUrl(returnTo = window.location.href, extra = {}) {
  const url = new URL(SIGN_IN_PAGE);
  if (returnTo) {
    const back = new URL(returnTo, window.location.href);
    url.searchParams.set("next", back.pathname + back.search + back.hash);
  }
  for (const [key, value] of Object.entries(extra)) url.searchParams.set(key, value);
  return url;
}

/**
 * 跳到登录页，登录后回到当前页面。返回一个永不完成的 Promise：页面马上就要离开，
 * 调用方不应再显示“加载失败”之类的内容，await 它就会停在那里。
 */
export function redirectToSignIn() {
  window.location.assign(signInUrl());
  return new Promise(() => {});
}

/**
 * 登录后的去处。只接受同源地址（防止把 ?next= 当作跳往其他网站的跳板），
 * 也不回到登录页本身；其他情况去工作台。
 */
export function safeReturnUrl(next) {
  if (!next) return DASHBOARD_PAGE.href;
  let url;
  try {
    url = new URL(next, window.location.href);
  } catch {
    return DASHBOARD_PAGE.href;
  }
  if (url.origin !== window.location.origin || url.pathname === SIGN_IN_PAGE.pathname) return DASHBOARD_PAGE.href;
  return url.href;
}

// --- 请求 ---------------------------------------------------------------------------------

/**
 * 调用接口。path 相对于 /api/，如 "me"、`orgs/${encodeURIComponent(id)}/children`。
 * options.body 会被编码为 JSON；options.auth 为 false 时不带令牌、401 也不跳转（登录接口用）。
 * 成功时返回解析后的 JSON（无内容时为 null），失败时抛出 ApiError。
 */
export async function api(path, { method = "GET", body, auth = true, signal } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (auth) {
    const token = currentToken();
    if (!token) return redirectToSignIn();
    headers.Authorization = `Bearer ${token}`;
  }
  let response;
  try {
    response = await fetch(new URL(path.replace(/^\/+/, ""), API_ROOT), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
      signal,
    });
  } catch (error) {
    if (error && error.name === "AbortError") throw error;
    throw new ApiError(0, null);
  }
  const data = await readJson(response);
  if (response.status === 401 && auth) {
    clearToken();
    return redirectToSignIn();
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const get = (path, options = {}) => api(path, { ...options, method: "GET" });
export const post = (path, body, options = {}) => api(path, { ...options, method: "POST", body });

async function readJson(response) {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null; // 非 JSON（如网关的纯文本错误页）：按状态码说明
  }
}
