// coord — the coordinators' pages: the dashboard (funnel and durations per pathway and version, by
// fiscal year in the era, period, grouping), open work past its time, dead and failing
// notifications with retry, the audit (chain status, access log and provision records with CSV),
// and the pathways with their diagrams. Figures come from the same /v1 reports the API gives.
import { api, ApiError } from "../api.js";
import { announce, append, clear, h, uid } from "../dom.js";
import { accessName, milestoneName, MILESTONE_ORDER, PURPOSES, t, text } from "../i18n.js";
import { barChart } from "../chart.js";
import { dateBoth, dateTime, fiscalYear, fiscalYearLong, parseDate, today } from "../wareki.js";

const GROUPS = ["pathway", "origin", "receiver", "area", "month", "fiscal_year"];

export function tabs(current) {
  const links = [["/coord", t("coordDashboard")], ["/coord/overdue", t("coordOverdue")],
    ["/coord/notifications", t("coordNotifications")], ["/coord/audit", t("coordAudit")], ["/coord/pathways", t("coordPathways")],
    ["/coord/review", t("coordReview")], ["/coord/records", t("coordRecords")]];
  return h("nav", { class: "tabs", "aria-label": t("coordTitle") }, h("ul", {}, links.map(([href, label]) =>
    h("li", {}, h("a", { href, "aria-current": href === current ? "page" : null }, label)))));
}

function select(name, label, options, value) {
  const id = uid(name);
  return h("div", { class: "filter" }, h("label", { for: id }, label),
    h("select", { id, name }, options.map(([v, l]) => h("option", { value: v, selected: v === value }, l))));
}

function dateInput(name, label, value, bad) {
  const id = uid(name);
  return h("div", { class: "filter" }, h("label", { for: id }, label), h("p", { class: "support", id: `${id}-help` }, t("isoDateHelp")),
    bad ? h("p", { class: "field-error", id: `${id}-error` }, t("badDate")) : null,
    h("input", { id, name, type: "text", value: value || "", class: "input-date", "aria-invalid": bad ? "true" : null,
      "aria-describedby": bad ? `${id}-help ${id}-error` : `${id}-help` }));
}

// A date of the query as people type it (2026-04-01, R8.4.1, 令和8年4月1日): the ISO date; null when
// not given; undefined when it is no date (the form says so under the field, and nothing is asked).
function queryDate(p, name) {
  const v = p.get(name);
  return v ? parseDate(v) || undefined : null;
}

// A period that is no date: the page is its form alone, the field marked and in focus; nothing is asked.
function badPeriod(main, title, tab, form) {
  append(main, h("h1", {}, title), tabs(tab), form);
  form.querySelector("[aria-invalid]").focus();
}

// The fiscal years to choose from: this one and the four before, labelled 令和8年度 (R8年度).
function fiscalYears() {
  const now = today();
  const y = +now.slice(0, 4) - (+now.slice(5, 7) < 4 ? 1 : 0);
  return [0, 1, 2, 3, 4].map((k) => {
    const start = `${y - k}-04-01`, end = `${y - k + 1}-03-31`;
    return { value: `${y - k}`, label: fiscalYear(start), long: fiscalYearLong(start), from: start, to: end };
  });
}

// A CSV of a report (Accept: text/csv), saved through a link the page makes; its label says which.
async function csvLink(path, name, label) {
  const a = h("a", { class: "button small", href: "#", download: name }, label ? `${label}（CSV）` : "CSV");
  a.addEventListener("click", async (ev) => {
    if (a.dataset.ready) return;
    ev.preventDefault();
    const res = await fetch(path, { headers: { Accept: "text/csv" }, credentials: "same-origin", cache: "no-store" });
    const blob = await res.blob();
    a.href = URL.createObjectURL(blob);
    a.dataset.ready = "1";
    a.click();
  });
  return a;
}

async function dashboard(main, ctx) {
  ctx.title(t("coordDashboard"));
  const p = ctx.params;
  const years = fiscalYears();
  const fy = years.find((y) => y.value === p.get("fy")) || years[0];
  const fromIn = queryDate(p, "from"), toIn = queryDate(p, "to");
  const from = fromIn || fy.from, to = toIn || fy.to, group = GROUPS.includes(p.get("group_by")) ? p.get("group_by") : "pathway";
  const form = h("form", { class: "filters", method: "get", action: "/coord" },
    select("fy", t("fiscalYear"), years.map((y) => [y.value, y.label]), fy.value),
    dateInput("from", t("periodFrom"), p.get("from") || "", fromIn === undefined),
    dateInput("to", t("periodTo"), p.get("to") || "", toIn === undefined),
    select("group_by", t("groupBy"), GROUPS.map((g) => [g, t(`group_${g}`)]), group),
    h("button", { type: "submit", class: "button" }, t("apply")));
  if (fromIn === undefined || toIn === undefined) return badPeriod(main, t("coordDashboard"), "/coord", form);
  const q = new URLSearchParams({ from, to, group_by: group });
  const [funnel, durations] = await Promise.all([api("GET", `/v1/reports/funnel?${q}`), api("GET", `/v1/reports/durations?${q}`)]);
  const body = h("div", { class: "report" });
  append(main, h("h1", {}, t("coordDashboard")), tabs("/coord"), form,
    // a period of its own is no fiscal year: the heading names the fiscal year only when it is one
    h("p", { class: "lead", id: "period" }, fromIn || toIn ? `${dateBoth(from)} 〜 ${dateBoth(to)}`
      : `${fy.long}（${fy.label}）・${dateBoth(from)} 〜 ${dateBoth(to)}`),
    h("p", {}, await csvLink(`/v1/reports/funnel?${q}`, "funnel.csv", t("funnel")), " ",
      await csvLink(`/v1/reports/durations?${q}`, "durations.csv", t("durations")), " ",
      await csvLink(`/v1/reports/resources?${q}`, "resources.csv", t("resourcesCsv"))), body);
  if (!funnel.json.rows.length) body.append(h("p", {}, t("noCases")));
  // the coordinators' own records of the same fiscal year (they count in the rows below as well)
  const records = (await api("GET", "/v1/pathways")).json.items.filter((x) => x.subject === "none");
  if (records.length) {
    body.append(h("section", { class: "panel", "aria-labelledby": "h-dash-records" }, h("h2", { id: "h-dash-records" }, t("coordRecords")),
      h("ul", { class: "plain" }, records.map((x) => {
        const n = funnel.json.rows.filter((r) => r.pathway === x.id).reduce((a, r) => a + r.cases, 0);
        return h("li", {}, h("a", { href: `/coord/records/${encodeURIComponent(x.id)}?fy=${fy.value}` }, text(x.title)), `（${n}${t("casesCount")}）`);
      }))));
  }
  for (const row of funnel.json.rows) {
    const pw = await ctx.pathway(row.pathway).catch(() => null);
    const head = `${pw ? text(pw.title) : row.pathway}（v${row.pathway_version}）${row.group ? "・" + (row.label_short || row.label) : ""}`;
    const items = MILESTONE_ORDER.map((m) => ({ label: milestoneName(m), value: row.milestones[m] || 0 }));
    const d = durations.json.rows.find((x) => x.pathway === row.pathway && x.pathway_version === row.pathway_version && x.group === row.group);
    const outcomes = Object.entries(row.outcomes || {});
    const section = h("section", { class: "panel report-row", "aria-label": head },
      h("h2", {}, head, h("span", { class: "count" }, `（${row.cases}${t("casesCount")}）`)),
      h("div", { class: "chart-and-table" },
        barChart(items, `${t("funnel")} ${head}`),
        h("table", { class: "funnel-table" }, h("caption", {}, t("funnel")),
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("milestone")), h("th", { scope: "col" }, t("casesCol")))),
          h("tbody", {}, items.map((i, n) => h("tr", { "data-milestone": MILESTONE_ORDER[n] }, h("th", { scope: "row" }, i.label), h("td", {}, String(i.value))))))),
      outcomes.length ? h("table", {}, h("caption", {}, t("outcomes")),
        h("tbody", {}, outcomes.map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, outcomeTitle(pw, k)), h("td", {}, String(v)))))) : null,
      d ? h("table", { class: "durations-table" }, h("caption", {}, `${t("durations")}（${t("businessDays")}）・${t("reminders")} ${d.reminders}・${t("escalations")} ${d.escalations}`),
        h("thead", {}, h("tr", {}, [t("fromTo"), t("casesCol"), t("median"), "p90", t("max")].map((x) => h("th", { scope: "col" }, x)))),
        h("tbody", {}, d.business_days.map((b) => h("tr", {}, h("th", { scope: "row" }, `${milestoneName(b.from)} → ${milestoneName(b.to)}`),
          h("td", {}, String(b.cases)), h("td", {}, b.median === null ? "—" : String(b.median)), h("td", {}, b.p90 === null ? "—" : String(b.p90)),
          h("td", {}, b.max === null ? "—" : String(b.max)))))) : null);
    body.append(section);
  }
}

function outcomeTitle(pw, code) {
  const o = pw && pw.outcomes && pw.outcomes.find((x) => x.code === code);
  return o ? text(o.title) : code;
}

async function overdue(main, ctx) {
  ctx.title(t("coordOverdue"));
  const items = [];
  let cursor = null;
  do {
    const r = await api("GET", `/v1/cases?overdue=true&sort=due&limit=500${cursor ? "&cursor=" + encodeURIComponent(cursor) : ""}`);
    items.push(...r.json.items);
    cursor = r.json.next_cursor;
  } while (cursor && items.length < 5000);
  const byReceiver = {};
  for (const c of items) (byReceiver[c.receiver_name || "—"] ||= []).push(c);
  // referrals waiting in the coordinators' own inbox (a pathway whose step is theirs)
  const triage = (await api("GET", "/v1/cases?inbox=org&open=true&sort=due&limit=200")).json.items;
  append(main, h("h1", {}, t("coordOverdue")), tabs("/coord/overdue"),
    h("section", { class: "panel", "aria-labelledby": "h-triage" }, h("h2", { id: "h-triage" }, `${t("triageQueue")}（${triage.length}${t("casesCount")}）`),
      triage.length ? h("ul", { class: "plain" }, triage.map((c) => h("li", {}, h("a", { href: `/cases/${c.id}` }, `${c.origin_name}・${text(c.state_title)}`),
        "・", dateBoth(c.opened_at)))) : h("p", {}, t("noCases"))),
    h("p", { class: "lead" }, t("coordOverdueLead")),
    items.length ? Object.entries(byReceiver).map(([name, list]) => h("section", { class: "panel" },
      h("h2", {}, `${name}（${list.length}${t("casesCount")}）`),
      h("table", {}, h("thead", {}, h("tr", {}, [t("filterPathway"), t("colState"), t("overdue"), t("colOpened"), t("filterArea")].map((x) => h("th", { scope: "col" }, x)))),
        h("tbody", {}, list.map((c) => h("tr", {}, h("th", { scope: "row" }, c.pathway), h("td", {}, text(c.state_title)),
          h("td", {}, h("span", { class: "badge badge-overdue" }, h("span", { "aria-hidden": "true" }, "▲ "), t("businessDaysN").replace("{n}", Math.max(1, -c.due_business_days)))),
          h("td", {}, dateBoth(c.opened_at)), h("td", {}, ctx.areaName(c.area)))))))) : h("p", {}, t("noCases")));
}

async function notifications(main, ctx) {
  ctx.title(t("coordNotifications"));
  const box = h("div", { role: "status", class: "notice", hidden: true });
  const holder = h("div");
  append(main, h("h1", {}, t("coordNotifications")), tabs("/coord/notifications"), box, holder);
  async function load() {
    const dead = (await api("GET", "/v1/notifications?status=dead&limit=200")).json.items;
    const failing = (await api("GET", "/v1/notifications?status=pending&limit=200")).json.items.filter((n) => n.attempts > 0);
    const rows = [...dead, ...failing];
    if (!rows.length) { holder.replaceChildren(h("p", {}, t("noNotifications"))); return; }
    const checks = rows.map((n) => h("input", { type: "checkbox", id: `n-${n.id}`, value: n.id, disabled: n.status !== "dead" }));
    holder.replaceChildren(h("table", {}, h("thead", {}, h("tr", {}, ["", t("status"), t("channel"), t("template"), t("attempts"), t("lastError"), t("colOpened")].map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, rows.map((n, i) => h("tr", {}, h("td", {}, checks[i], h("label", { for: `n-${n.id}`, class: "visually-hidden" }, `${n.template} ${n.id}`)),
        h("th", { scope: "row" }, n.status === "dead" ? h("span", { class: "badge badge-overdue" }, "✖ ", t("dead")) : h("span", { class: "badge badge-today" }, "↻ ", t("retrying"))),
        h("td", {}, n.channel || "—"), h("td", {}, n.template), h("td", {}, String(n.attempts)), h("td", { class: "error-text" }, n.last_error || "—"),
        h("td", {}, dateTime(n.created_at)))))),
    h("div", { class: "action-buttons" }, h("button", { type: "button", class: "button primary", onclick: async () => {
      const ids = checks.filter((c) => c.checked).map((c) => c.value);
      let done = 0;
      for (const id of ids) {
        try { await api("POST", `/v1/notifications/${encodeURIComponent(id)}/retry`, { body: {} }); done += 1; } catch (e) { box.hidden = false; box.textContent = e.message; }
      }
      box.hidden = false;
      box.textContent = `${t("retried")}: ${done}`;
      announce(box.textContent);
      await load();
    } }, t("retrySelected"))));
  }
  await load();
}

async function audit(main, ctx) {
  ctx.title(t("coordAudit"));
  const p = ctx.params;
  const which = p.get("list") === "provisions" ? "provisions" : "access";
  const fromIn = queryDate(p, "from"), toIn = queryDate(p, "to");
  const from = fromIn || `${today().slice(0, 7)}-01`, to = toIn || today();
  const chain = h("section", { class: "panel", "aria-labelledby": "h-chain" }, h("h2", { id: "h-chain" }, t("chain")), h("p", { role: "status" }, t("loading")));
  const org = p.get("org") || "", person = p.get("person") || "", purpose = p.get("purpose") || "";
  const form = h("form", { class: "filters", method: "get", action: "/coord/audit" },
    select("list", t("auditList"), [["access", t("accessLog")], ["provisions", t("provisionRecords")]], which),
    dateInput("from", t("periodFrom"), fromIn === undefined ? p.get("from") : from, fromIn === undefined),
    dateInput("to", t("periodTo"), toIn === undefined ? p.get("to") : to, toIn === undefined),
    select("org", t("org"), [["", t("filterAll")], ...ctx.orgs.items.map((o) => [o.id, text(o.name)])], org),
    h("button", { type: "submit", class: "button" }, t("apply")));
  // one person's records: only with the purpose of looking, which the access log keeps
  const personId = uid("person");
  const lookup = h("form", { class: "panel", method: "get", action: "/coord/audit", "aria-labelledby": "h-person-lookup" },
    h("h2", { id: "h-person-lookup" }, t("personLookup")),
    h("input", { type: "hidden", name: "list", value: which }), h("input", { type: "hidden", name: "from", value: from }),
    h("input", { type: "hidden", name: "to", value: to }),
    h("div", { class: "field" }, h("label", { for: personId }, t("personId"), " ", h("span", { class: "tag tag-required" }, t("required"))),
      h("p", { class: "support", id: `${personId}-help` }, t("personIdHelp")),
      h("input", { type: "text", id: personId, name: "person", value: person, required: true, autocomplete: "off", "aria-describedby": `${personId}-help` })),
    h("fieldset", { class: "field" }, h("legend", {}, t("purpose"), " ", h("span", { class: "tag tag-required" }, t("required"))),
      h("div", { class: "choices" }, Object.entries(PURPOSES).map(([v, key]) => [v, t(key)])
        .map(([v, l]) => h("div", { class: "choice" }, h("input", { type: "radio", name: "purpose", id: `purpose-${v}`, value: v, required: true, checked: v === purpose }),
          h("label", { for: `purpose-${v}` }, l))))),
    h("button", { type: "submit", class: "button" }, t("search")));
  if (fromIn === undefined || toIn === undefined) return badPeriod(main, t("coordAudit"), "/coord/audit", form);
  const list = h("div");
  const q = new URLSearchParams({ from, to, limit: "100" });
  if (org) q.set("org", org);
  if (person) { q.set("person", person); q.set("purpose", purpose); }
  const csvQ = new URLSearchParams(q);
  csvQ.delete("limit");
  append(main, h("h1", {}, t("coordAudit")), tabs("/coord/audit"), chain, form, lookup,
    person ? h("p", { class: "notice", role: "status" }, `${t("personLookup")}: ${person}（${t("purpose")}: ${t(PURPOSES[purpose]) || purpose}）`) : null,
    h("p", {}, await csvLink(`/v1/audit/${which}?${csvQ}`, `${which}.csv`, t(which === "access" ? "accessLog" : "provisionRecords"))), list);
  api("GET", "/v1/audit/verify").then((r) => {
    const v = r.json;
    chain.replaceChildren(h("h2", { id: "h-chain" }, t("chain")), h("p", { role: "status", class: v.ok ? "chain-ok" : "chain-broken" },
      v.ok ? `✔ ${t("chainOk")}（${v.events}${t("eventsChecked")}）` : `✖ ${t("chainBroken")}: #${v.broken_at}（${v.reason}）`),
      h("p", { class: "small" }, `${t("checkedAt")}: ${dateTime(v.checked_at)}`),
      v.last_scheduled_check ? h("p", { class: "small" }, `${t("scheduledCheck")}: ${dateTime(v.last_scheduled_check.at)}・`,
        v.last_scheduled_check.ok ? `✔ ${t("chainOk")}` : `✖ ${t("chainBroken")}: #${v.last_scheduled_check.broken_at}`)
        : h("p", { class: "small" }, `${t("scheduledCheck")}: ${t("none")}`));
  }).catch((e) => chain.replaceChildren(h("h2", { id: "h-chain" }, t("chain")), h("p", {}, e.message)));
  let cursor = null;
  const tbody = h("tbody");
  const more = h("button", { type: "button", class: "button", hidden: true }, t("more"));
  const cols = which === "access" ? [t("when"), t("who"), t("org"), t("caseTitle"), t("what")]
    : [t("when"), t("fromOrg"), t("toOrg"), t("caseTitle"), t("colPerson"), t("items"), t("basis")];
  list.replaceChildren(h("table", {}, h("thead", {}, h("tr", {}, cols.map((x) => h("th", { scope: "col" }, x)))), tbody), more);
  async function page() {
    const qq = new URLSearchParams(q);
    if (cursor) qq.set("cursor", cursor);
    const r = await api("GET", `/v1/audit/${which}?${qq}`);
    for (const x of r.json.items) {
      tbody.append(which === "access"
        ? h("tr", {}, h("td", {}, dateTime(x.at)), h("td", {}, x.user_name || x.user), h("td", {}, ctx.orgName(x.org)), h("td", {}, x.case_id || "—"), h("td", {}, accessName(x.what)))
        : h("tr", {}, h("td", {}, dateTime(x.at)), h("td", {}, x.from_name || ctx.orgName(x.from)), h("td", {}, x.recipient_name || ctx.orgName(x.recipient)),
          h("td", {}, x.case_id || "—"), h("td", {}, x.subject_name || "—"), h("td", {}, x.items_title || x.items), h("td", {}, x.consent_basis || "")));
    }
    cursor = r.json.next_cursor;
    more.hidden = !cursor;
  }
  more.addEventListener("click", page);
  await page();
}

async function pathways(main, ctx) {
  ctx.title(t("coordPathways"));
  const list = (await api("GET", "/v1/pathways")).json.items;
  append(main, h("h1", {}, t("coordPathways")), tabs("/coord/pathways"));
  for (const s of list) {
    const pw = await ctx.pathway(s.id);
    const versions = (await api("GET", `/v1/pathways/${encodeURIComponent(s.id)}/versions`)).json.items;
    main.append(h("section", { class: "panel", "aria-labelledby": `h-${s.id}` },
      h("h2", { id: `h-${s.id}` }, `${text(pw.title)}（${s.id} v${s.version}）`),
      h("p", {}, text(pw.description)),
      h("table", { class: "versions" }, h("caption", {}, t("versionsCaption")),
        h("thead", {}, h("tr", {}, [t("version"), t("recordedAt"), t("runningCases")].map((x) => h("th", { scope: "col" }, x)))),
        h("tbody", {}, versions.map((v) => h("tr", {}, h("th", { scope: "row" }, `v${v.version}${v.loaded ? `（${t("loadedNow")}）` : ""}`),
          h("td", {}, dateTime(v.recorded_at)), h("td", {}, String(v.running_cases)))))),
      h("figure", { class: "diagram" }, h("img", { src: `/v1/pathways/${encodeURIComponent(s.id)}/graph?format=svg`, alt: `${text(pw.title)}: ${pw.states.map((st) => text(st.title)).join(" → ")}` }),
        h("figcaption", {}, t("diagramCaption"))),
      h("details", {}, h("summary", {}, t("statesList")), h("ol", {}, pw.states.map((st) => h("li", {}, text(st.title),
        st.actions.length ? `: ${st.actions.map((a) => `${text(a.title)} → ${text((pw.states.find((x) => x.name === a.to) || {}).title)}`).join("、")}` : ""))))));
  }
}

// The pages hold no rule of their own: someone who is not a coordinator gets the API's refusal, asked
// first of the outbox (coordinators only) before any page draws.
export async function render(main, ctx) {
  await api("GET", "/v1/notifications?limit=1");
  const kind = ctx.arg || "";
  if (kind === "overdue") return overdue(main, ctx);
  if (kind === "notifications") return notifications(main, ctx);
  if (kind === "audit") return audit(main, ctx);
  if (kind === "pathways") return pathways(main, ctx);
  return dashboard(main, ctx);
}
