// 登录页（console/login.html）：用户名 + 密码，成功后把 ID 令牌存入 sessionStorage，
// 回到 ?next= 指向的页面（只限本站），没有时去工作台。

import { post, safeReturnUrl, storeToken } from "./api.js";
import { setStatus } from "./common.js";
import { createFormErrors, errorsFromApi, guardSubmit, valueOf } from "./forms.js";

const form = document.getElementById("login-form");
const notice = document.getElementById("login-notice");
const errors = createFormErrors(form, { title: "无法登录" });
const params = new URLSearchParams(window.location.search);

// 为什么来到登录页：主动退出，或者访问控制台时尚未登录/登录已失效。
if (params.get("signed_out")) setStatus(notice, "您已退出登录。");
else if (params.get("next")) setStatus(notice, "请先登录。登录后将回到您刚才访问的页面。");

guardSubmit(form, async () => {
  const username = valueOf(form, "username");
  const password = form.elements.namedItem("password").value; // 密码不去空格：空格也是密码的一部分
  const problems = [];
  if (!username) problems.push({ field: "username", message: "请输入用户名" });
  if (!password) problems.push({ field: "password", message: "请输入密码" });
  if (errors.refuse(problems)) return;
  try {
    const result = await post("auth/login", { username, password }, { auth: false });
    storeToken(result.id_token, result.expires_in);
    window.location.assign(safeReturnUrl(params.get("next")));
  } catch (error) {
    // 登录失败时清空密码：通常是密码输错了，用户要重新输入。
    form.elements.namedItem("password").value = "";
    errors.show(errorsFromApi(error));
  }
});
