// inbox — the nurse's working list: the organisation's and my own cases with due badges from the
// case timers, new referrals marked, filters (mine, my centre's, pathway, overdue, area) and sort
// by due. The filters live in the address, so a list can be bookmarked and shared.
import { api } from "../api.js";
import { append, clear, h, uid } from "../dom.js";
import { t, text } from "../i18n.js";
import { dateBoth } from "../wareki.js";
import { dueBadge, isNew, stateBadge } from "../badges.js";

function select(name, label, options, value) {
  const id = uid(name);
  return h("div", { class: "filter" }, h("label", { for: id }, label),
    h("select", { id, name }, options.map(([v, l]) => h("option", { value: v, selected: v === value }, l))));
}

function row(c, ctx) {
  const person = c.subject ? c.subject.name : `${text(c.state_title)}`;
  return h("tr", { class: isNew(c) ? "is-new" : null },
    h("td", {}, isNew(c) ? h("span", { class: "badge badge-new" }, h("span", { "aria-hidden": "true" }, "★ "), t("newBadge")) : null),
    h("th", { scope: "row" }, h("a", { href: `/cases/${c.id}` }, person || c.id),
      c.subject && c.subject.kana ? h("span", { class: "kana" }, c.subject.kana) : null),
    h("td", {}, stateBadge(c)),
    h("td", {}, dueBadge(c), c.next_due_at ? h("span", { class: "small" }, dateBoth(c.next_due_at)) : null),
    h("td", {}, ctx.orgName(c.origin)),
    h("td", {}, ctx.areaName(c.area)),
    h("td", {}, c.assignee_active ? c.assignee_name : t("unassigned")),
    h("td", {}, dateBoth(c.opened_at)));
}

export async function render(main, ctx) {
  ctx.title(t("inboxTitle"));
  const p = ctx.params;
  const scope = p.get("scope") || (ctx.has("coordinator") ? "all" : "org");
  // the pathways of people's cases, and the records the caller may keep itself (not every coordinator's register)
  const pathways = (await api("GET", "/v1/pathways")).json.items.filter((x) => x.subject !== "none" || x.may_open);
  const form = h("form", { class: "filters", method: "get", action: "/inbox", role: "search" },
    select("scope", t("filterScope"), [["org", t("filterCentre")], ["me", t("filterMine")], ["all", t("filterAll")]], scope),
    select("pathway", t("filterPathway"), [["", t("filterAll")], ...pathways.map((x) => [x.id, text(x.title)])], p.get("pathway") || ""),
    select("area", t("filterArea"), [["", t("filterAll")], ...ctx.orgs.areas.map((a) => [a.id, text(a.name)])], p.get("area") || ""),
    select("sort", t("sortLabel"), [["due", t("sortDue")], ["updated", t("sortUpdated")]], p.get("sort") || "due"),
    h("div", { class: "filter filter-check" }, h("input", { type: "checkbox", id: "f-overdue", name: "overdue", value: "true",
      checked: p.get("overdue") === "true" }), h("label", { for: "f-overdue" }, t("filterOverdue"))),
    h("button", { type: "submit", class: "button" }, t("apply")));
  const tbody = h("tbody");
  const table = h("table", { class: "cases" }, h("caption", { class: "visually-hidden" }, t("inboxTitle")),
    h("thead", {}, h("tr", {}, ["", t("colPerson"), t("colState"), t("colDue"), t("colFrom"), t("filterArea"), t("colAssignee"), t("colOpened")]
      .map((x) => h("th", { scope: "col" }, x)))), tbody);
  const more = h("button", { type: "button", class: "button", hidden: true }, t("more"));
  const status = h("p", { class: "count", role: "status" });
  append(main, h("h1", {}, t("inboxTitle")), form, status, table, more);

  const q = new URLSearchParams();
  if (scope === "me") q.set("inbox", "me");
  else if (scope === "org") q.set("inbox", "org");
  for (const k of ["pathway", "area"]) if (p.get(k)) q.set(k, p.get(k));
  if (p.get("overdue") === "true") q.set("overdue", "true");
  q.set("sort", p.get("sort") === "updated" ? "updated" : "due");
  q.set("open", "true");
  q.set("limit", "100");
  let cursor = null, shown = 0;

  async function load(background) {
    const query = new URLSearchParams(q);
    if (cursor) query.set("cursor", cursor);
    const r = await api("GET", `/v1/cases?${query}`, { background });
    for (const c of r.json.items) tbody.append(row(c, ctx));
    shown += r.json.items.length;
    cursor = r.json.next_cursor;
    more.hidden = !cursor;
    status.textContent = shown ? `${shown}${t("casesCount")}` : t("noCases");
  }
  more.addEventListener("click", () => load(false));
  await load(false);
  // refreshed in the background every minute: it does not keep the session alive
  setInterval(async () => {
    cursor = null;
    shown = 0;
    const old = Array.from(tbody.children);
    try {
      clear(tbody);
      await load(true);
    } catch (e) {
      tbody.replaceChildren(...old);
    }
  }, 60000);
}
