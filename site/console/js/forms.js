// 表单错误提示：按 GOV.UK 设计系统的错误模式（error summary + error message）实现。
//
// 页面里每个字段写成：
//   <div class="zhtj-field">
//     <label class="zhtj-label" for="name">组织全称</label>
//     <p class="zhtj-hint" id="name-hint">……</p>
//     <input class="zhtj-input" id="name" name="name" aria-describedby="name-hint">
//   </div>
// 出错时本模块：
// - 在表单前插入错误摘要（role="alert"，tabindex="-1"），把焦点移过去，让读屏软件
//   立即读出，键盘用户按 Tab 就能进入摘要里的链接；
// - 摘要中每条有字段的错误都链接到该字段，点击后焦点落在输入框上、标签滚入视野；
// - 在字段的标签和提示之后、输入框之前插入行内错误文字，并加入输入框的
//   aria-describedby、设置 aria-invalid，读屏软件进入输入框时会读出错误；
// - 文档标题前加“错误：”，切换标签页或读屏软件读标题时也能知道提交没有成功。
// 没有对应字段的错误（如“用户名或密码错误”）只出现在摘要里。

import { ApiError } from "./api.js";

export const TITLE_PREFIX = "错误：";

/**
 * 为一个表单建立错误显示。返回 { show(errors), refuse(errors), clear(), summary }。
 * errors 为 [{ field?: "name", message: "……" }]；field 是表单控件的 name。
 * options.aliases 把接口的字段名映射到表单控件名（两者不同时用）。
 */
export function createFormErrors(form, { title = "提交的内容有问题", aliases = {} } = {}) {
  const summary = buildSummary(form, title);
  const list = summary.querySelector("ul");
  const baseTitle = document.title.startsWith(TITLE_PREFIX) ? document.title.slice(TITLE_PREFIX.length) : document.title;
  let marked = [];

  // 摘要里的链接：聚焦控件，并把标签（而不只是输入框）滚进视野，用户能看到问的是什么。
  summary.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-field-id]");
    if (!link) return;
    const control = document.getElementById(link.dataset.fieldId);
    if (!control) return;
    event.preventDefault();
    const label = form.querySelector(`label[for="${CSS.escape(control.id)}"]`) || control;
    label.scrollIntoView({ block: "start" });
    control.focus({ preventScroll: true });
  });

  function clear() {
    for (const { field, control, errorId } of marked) {
      field.classList.remove("zhtj-field--error");
      field.querySelector(`#${CSS.escape(errorId)}`)?.remove();
      control.removeAttribute("aria-invalid");
      const ids = (control.getAttribute("aria-describedby") || "").split(/\s+/).filter((id) => id && id !== errorId);
      if (ids.length) control.setAttribute("aria-describedby", ids.join(" "));
      else control.removeAttribute("aria-describedby");
    }
    marked = [];
    list.replaceChildren();
    summary.hidden = true;
    document.title = baseTitle;
  }

  function show(errors) {
    clear();
    if (!errors || errors.length === 0) return;
    const seen = new Set();
    for (const error of errors) {
      const name = error.field ? aliases[error.field] || error.field : null;
      const control = name ? controlFor(form, name) : null;
      const item = document.createElement("li");
      if (control && !seen.has(name)) {
        seen.add(name);
        markField(control, error.message);
        const link = document.createElement("a");
        link.href = `#${control.id}`;
        link.dataset.fieldId = control.id;
        link.textContent = error.message;
        item.append(link);
      } else {
        item.textContent = error.message;
      }
      list.append(item);
    }
    summary.hidden = false;
    document.title = TITLE_PREFIX + baseTitle;
    summary.scrollIntoView({ block: "start" });
    summary.focus({ preventScroll: true });
  }

  function markField(control, message) {
    const field = control.closest(".zhtj-field") || control.parentElement;
    const errorId = `${control.id}-error`;
    const text = document.createElement("p");
    text.className = "zhtj-error-message";
    text.id = errorId;
    // 读屏软件读到的是“错误：……”，看得见的只有错误本身（红色粗体已经表明是错误）。
    const prefix = document.createElement("span");
    prefix.className = "zhtj-visually-hidden";
    prefix.textContent = TITLE_PREFIX;
    text.append(prefix, message);
    // GOV.UK 的顺序：标签、提示、错误、输入框。
    const hint = field.querySelector(".zhtj-hint");
    const label = field.querySelector(".zhtj-label");
    const anchor = hint || label;
    if (anchor) anchor.after(text);
    else field.prepend(text);
    field.classList.add("zhtj-field--error");
    control.setAttribute("aria-invalid", "true");
    const ids = (control.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    control.setAttribute("aria-describedby", [...ids, errorId].join(" "));
    marked.push({ field, control, errorId });
  }

  /** 有错误就显示并返回 true（调用方不再提交）；没有错误时什么也不做，返回 false。 */
  function refuse(errors) {
    if (!errors.length) return false;
    show(errors);
    return true;
  }

  return { show, refuse, clear, summary };
}

/** 把接口错误（或任何异常）变成 show() 接受的错误列表：有 field 的归到字段，其余归摘要。 */
export function errorsFromApi(error) {
  if (error instanceof ApiError && error.errors.length) {
    // 接口逐项列出的问题（每个字段一条），摘要顶部先给出接口的总述（“共有 N 处填写有误”）。
    return error.errors.map((item) => ({ field: item.field || undefined, message: item.message }));
  }
  if (error instanceof ApiError) return [{ field: error.field || undefined, message: error.message }];
  return [{ message: "出现意外错误，请刷新页面后重试" }];
}

/**
 * 防止重复提交：提交进行中再次提交会被忽略（双击、回车连按）。按钮保持可聚焦，
 * 不用 disabled（disabled 会让焦点丢失，读屏软件也读不到按钮）。
 */
export function guardSubmit(form, handler) {
  let busy = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    form.setAttribute("aria-busy", "true");
    try {
      await handler(event);
    } finally {
      busy = false;
      form.removeAttribute("aria-busy");
    }
  });
}

/** 表单控件的值（文本去掉首尾空白）。 */
export function valueOf(form, name) {
  const control = controlFor(form, name);
  if (!control) return "";
  return typeof control.value === "string" ? control.value.trim() : "";
}

function controlFor(form, name) {
  const control = form.elements.namedItem(name);
  // 同名的一组单选框返回 RadioNodeList：链接到第一个。
  if (control && !(control instanceof Element) && control.length) return control[0];
  return control instanceof Element && control.id ? control : null;
}

function buildSummary(form, title) {
  const summary = document.createElement("div");
  summary.className = "zhtj-error-summary";
  summary.hidden = true;
  summary.tabIndex = -1;
  summary.setAttribute("role", "alert");
  const heading = document.createElement("h2");
  heading.className = "zhtj-error-summary__title";
  heading.id = `${form.id || "form"}-error-summary-title`;
  heading.textContent = title;
  summary.setAttribute("aria-labelledby", heading.id);
  const list = document.createElement("ul");
  list.className = "zhtj-error-summary__list";
  summary.append(heading, list);
  form.before(summary);
  return summary;
}
