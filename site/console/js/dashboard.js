// 工作台（console/index.html）：当前组织（默认是登录账号所属组织，?org= 可下钻到下级）
// 的名称、类别、层级路径（面包屑）和下级组织列表。

import { get } from "./api.js";
import {
  consoleUrl,
  describeOrg,
  h,
  pageParts,
  param,
  setStatus,
  showBanner,
  showPageError,
  startConsolePage,
} from "./common.js";
import { allowedChildKinds } from "./org-rules.js";

const { root, status, problem } = pageParts("dashboard");
const view = document.getElementById("dashboard-org");

const orgPath = (id) => `orgs/${encodeURIComponent(id)}`;

async function main() {
  let me = null;
  try {
    me = await startConsolePage();
    const orgId = param("org") || me.org.org_id;
    const org = orgId === me.org.org_id ? me.org : await get(orgPath(orgId));
    const [trail, children] = await Promise.all([breadcrumbTrail(org, me.org), get(`${orgPath(org.org_id)}/children`)]);
    render(org, trail, children.items, me);
    await archiveBanner(org);
    root.dataset.state = "ready";
  } catch (error) {
    setStatus(status, "");
    view.hidden = true;
    showPageError(problem, error, { me });
    root.dataset.state = "error";
  }
}

/**
 * 操作指引 §3.2：组织内有新发展团员的档案尚未上传时，登录后显示提示，直到上传完成。
 * 只有接口说有（banner 不为空）才显示；接口出错时不显示横幅，也不影响工作台其余部分。
 */
async function archiveBanner(org) {
  const slot = document.querySelector('[data-zhtj-slot="archive-missing"]');
  if (!slot) return;
  let summary;
  try {
    summary = await get(`${orgPath(org.org_id)}/archives/summary`);
  } catch {
    return;
  }
  if (!summary.banner) return;
  showBanner(slot, {
    title: summary.banner,
    text: `共有 ${summary.members_without_archive} 名新发展团员尚未上传《入团志愿书》（须在上级团委审批同意后 30 日内上传）。`,
  });
}

/**
 * 面包屑：从登录账号所属组织到当前组织。更上层的组织不在账号的管理范围内，
 * 接口不会返回它们（403），所以不去请求。
 */
async function breadcrumbTrail(org, ownOrg) {
  const start = org.path.indexOf(ownOrg.org_id);
  const ids = start >= 0 ? org.path.slice(start) : [org.org_id];
  const known = new Map([[ownOrg.org_id, ownOrg], [org.org_id, org]]);
  return Promise.all(ids.map((id) => known.get(id) || get(orgPath(id))));
}

function render(org, trail, children, me) {
  const isOwn = org.org_id === me.org.org_id;

  const crumbs = document.getElementById("org-breadcrumbs");
  crumbs.replaceChildren(
    ...trail.map((item, index) =>
      index === trail.length - 1
        ? h("li", {}, h("span", { "aria-current": "page" }, item.short_name || item.name))
        : h("li", {}, h("a", { href: consoleUrl("index.html", { org: item.org_id === me.org.org_id ? null : item.org_id }) }, item.short_name || item.name)),
    ),
  );

  document.getElementById("org-name").textContent = org.name;
  const details = document.getElementById("org-details");
  const rows = [
    ["组织类别", org.kind],
    ["单位所属行业类别", org.industry],
    ["组织简称", org.short_name],
    ["组织编号", org.org_id],
  ].filter(([, value]) => value);
  details.replaceChildren(...rows.map(([term, value]) => h("div", { class: "zhtj-summary-list__row" }, h("dt", {}, term), h("dd", {}, value))));

  const actions = document.getElementById("org-actions");
  const links = [];
  if (allowedChildKinds(org.kind).length) {
    links.push(h("a", { class: "zhtj-button", href: consoleUrl("org-new.html", { org: org.org_id }) }, "创建下级组织"));
  }
  // 团员录入到团支部：团支部本身，或可以直接设团支部的组织（录入页列出其团支部）。
  if (org.kind === "团支部" || allowedChildKinds(org.kind).includes("团支部")) {
    links.push(h("a", { class: "zhtj-button", href: consoleUrl("member-new.html", { org: isOwn ? null : org.org_id }) }, "单个录入团员"));
  }
  links.push(h("a", { class: "zhtj-button zhtj-button--secondary", href: consoleUrl("members.html", { org: isOwn ? null : org.org_id }) }, "查询团员"));
  if (!isOwn && org.parent_id) {
    const parentIsOwn = org.parent_id === me.org.org_id;
    links.push(h("a", { href: consoleUrl("index.html", { org: parentIsOwn ? null : org.parent_id }) }, "返回上级组织"));
  }
  actions.replaceChildren(...links);
  actions.hidden = links.length === 0;

  const list = document.getElementById("children-list");
  const empty = document.getElementById("children-empty");
  document.getElementById("children-count").textContent = `（${children.length}个）`;
  list.replaceChildren(
    ...children.map((child) =>
      h(
        "li",
        { class: "zhtj-org-list__item" },
        h("a", { class: "zhtj-org-list__name", href: consoleUrl("index.html", { org: child.org_id }) }, child.name),
        h("span", { class: "zhtj-org-list__meta" }, describeOrg(child)),
      ),
    ),
  );
  list.hidden = children.length === 0;
  empty.hidden = children.length !== 0;
  if (!allowedChildKinds(org.kind).length) empty.textContent = `${org.kind}是最基层组织，没有下级组织。`;

  setStatus(status, "");
  view.hidden = false;
  if (!isOwn) document.title = `${org.short_name || org.name} - ${document.title}`;
}

main();
