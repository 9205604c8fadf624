// records — the coordinators' own records (pathways about no person: the consultation desk, the
// register of coordination issues, the meeting log): /coord/records lists them; /coord/records/ID
// shows one pathway's records of a fiscal year, a form for a new record drawn from the pathway (with
// the warning that no personal data belongs in it), and the reports the pathway declares — tallies
// by fiscal year (with the counts of the years before the system, imported as CSV) and timelines.
import { api, newKey } from "../api.js";
import { announce, append, h, uid } from "../dom.js";
import { t, text } from "../i18n.js";
import { check, errorBox, pathwayField, showApiError, showErrors, values } from "../forms.js";
import { fiscalYear, fiscalYearLong, today } from "../wareki.js";
import { allRecords, fieldDef, listChoices, noPersonalData, recordLabel, valueText } from "../record.js";
import { tabs as coordTabs } from "./coord.js";

const tabs = () => coordTabs("/coord/records");


function currentYear() {
  const now = today();
  return +now.slice(0, 4) - (+now.slice(5, 7) < 4 ? 1 : 0);
}

async function list(main, ctx) {
  ctx.title(t("coordRecords"));
  const pathways = (await api("GET", "/v1/pathways")).json.items.filter((p) => p.subject === "none");
  append(main, h("h1", {}, t("coordRecords")), tabs(), h("p", { class: "lead" }, t("recordsLead")),
    pathways.length ? h("ul", { class: "plain cards" }, pathways.map((p) => h("li", { class: "panel" },
      h("h2", {}, h("a", { href: `/coord/records/${encodeURIComponent(p.id)}` }, text(p.title))),
      h("p", {}, text(p.description))))) : h("p", {}, t("none")));
}

function tallyTable(report, title) {
  const years = report.fiscal_years;
  return h("table", { class: "tally" }, h("caption", {}, title),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("category")), years.map((y) => h("th", { scope: "col", title: y.label }, y.short)),
      h("th", { scope: "col" }, t("total")))),
    h("tbody", {}, report.rows.map((r) => h("tr", {}, h("th", { scope: "row" }, r.title ? text(r.title) : r.value),
      r.counts.map((n, i) => h("td", { class: r.imported[i] ? "imported" : null }, String(n))), h("td", {}, String(r.total))))),
    h("tfoot", {}, h("tr", {}, h("th", { scope: "row" }, t("total")), report.totals.map((n) => h("td", {}, String(n))),
      h("td", {}, String(report.total)))));
}

function timelineTable(report, title) {
  return h("table", { class: "timeline" }, h("caption", {}, title),
    h("thead", {}, h("tr", {}, [t("fiscalYear"), t("recordsActedOn"), t("actionsTaken")].map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, report.fiscal_years.map((y) => h("tr", {}, h("th", { scope: "row", title: y.label }, y.short),
      h("td", {}, y.cases.join(" ")),
      h("td", {}, h("ul", { class: "plain" }, y.entries.map((e) => h("li", {},
        `${e.kind_title ? text(e.kind_title) : e.kind || ""} ${e.note || ""}（${e.label}）`))))))));
}

// A report the pathway declares, with its CSV; a tally also takes the counts of the years before.
async function reportSection(pw, rp, from, to, onImported) {
  const q = new URLSearchParams({ pathway: pw.id });
  let path;
  if (rp.kind === "tally") {
    q.set("field", rp.field);
    if (rp.date) q.set("date", rp.date);
    path = "/v1/reports/tally";
  } else {
    for (const [k, v] of [["action", rp.action], ["year", rp.year], ["kind", rp.kind_field], ["label", rp.label], ["note", rp.note]])
      if (v) q.set(k, v);
    path = "/v1/reports/timeline";
  }
  if (from) q.set("from_year", String(from));
  if (to) q.set("to_year", String(to));
  const report = (await api("GET", `${path}?${q}`)).json;
  const headId = uid("h-report");
  const section = h("section", { class: "panel report-row", "aria-labelledby": headId }, h("h2", { id: headId }, text(rp.title)));
  const empty = !report.fiscal_years.length;
  section.append(empty ? h("p", {}, t("noCases")) : rp.kind === "tally" ? tallyTable(report, text(rp.title)) : timelineTable(report, text(rp.title)));
  const csv = h("a", { class: "button small", href: "#", download: `${pw.id}-${rp.field || rp.action}.csv` }, "CSV");
  csv.addEventListener("click", async (ev) => {
    if (csv.dataset.ready) return;
    ev.preventDefault();
    const res = await fetch(`${path}?${q}`, { headers: { Accept: "text/csv" }, credentials: "same-origin", cache: "no-store" });
    csv.href = URL.createObjectURL(await res.blob());
    csv.dataset.ready = "1";
    csv.click();
  });
  section.append(h("p", {}, csv));
  if (rp.kind === "tally") {
    // the years before the system come in as counts only: fiscal_year,FIELD,count
    const fileId = uid("counts");
    const box = errorBox();
    const file = h("input", { type: "file", id: fileId, accept: ".csv,text/csv", "aria-describedby": `${fileId}-help` });
    const form = h("form", { class: "inline", novalidate: true }, box,
      h("div", { class: "field" }, h("label", { for: fileId }, t("importCounts")),
        h("p", { class: "support", id: `${fileId}-help` }, `${t("importCountsHelp")} fiscal_year,${rp.field},count`), file),
      h("button", { type: "submit", class: "button" }, t("import")));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (!file.files.length) return showErrors(box, [{ field: null, message: t("chooseFile") }]);
      try {
        const done = (await api("POST", `/v1/reports/tally?pathway=${encodeURIComponent(pw.id)}&field=${encodeURIComponent(rp.field)}`,
          { body: await file.files[0].arrayBuffer(), contentType: "text/csv" })).json;
        announce(`${t("imported")}: ${done.imported}`);
        await onImported();
      } catch (e) {
        showErrors(box, [{ field: null, message: e.message }]);
      }
    });
    section.append(h("details", {}, h("summary", {}, t("importCounts")), form));
  }
  return section;
}

async function one(main, ctx, id) {
  const pw = await ctx.pathway(id);
  if (pw.subject !== "none") return ctx.go(`/coord/records`);
  ctx.title(text(pw.title));
  const fy = +(ctx.params.get("fy") || currentYear());
  const years = [0, 1, 2, 3, 4].map((k) => currentYear() - k);
  const yearId = uid("fy");
  const filter = h("form", { class: "filters", method: "get", action: `/coord/records/${encodeURIComponent(id)}` },
    h("div", { class: "filter" }, h("label", { for: yearId }, t("fiscalYear")),
      h("select", { id: yearId, name: "fy" }, years.map((y) => h("option", { value: String(y), selected: y === fy }, fiscalYear(`${y}-04-01`))))),
    h("button", { type: "submit", class: "button" }, t("apply")));
  // the records of the fiscal year, by the date the pathway's first tally counts by
  const dateField = ((pw.reports || []).find((r) => r.kind === "tally" && r.date) || {}).date;
  const records = await allRecords(id, { fiscal_year: String(fy), date_field: dateField });
  // the list shows the opening's short fields (dates, choices); the texts are on each record's page
  const cols = (pw.requires.fields || []).map((f) => f.name).filter((n) => (fieldDef(pw, n) || {}).type !== "text").slice(0, 4);
  const listSection = h("section", { class: "panel", "aria-labelledby": "h-records" },
    h("h2", { id: "h-records" }, `${fiscalYearLong(`${fy}-04-01`)}（${records.length}${t("recordsCount")}）`),
    records.length ? h("table", {}, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("recordTitle")),
      cols.map((n) => h("th", { scope: "col" }, text((fieldDef(pw, n) || {}).title) || n)), h("th", { scope: "col" }, t("colState")))),
    h("tbody", {}, records.map((c) => h("tr", {}, h("th", { scope: "row" }, h("a", { href: `/cases/${c.id}` }, recordLabel(pw, c, ctx))),
      cols.map((n) => h("td", {}, c.fields && c.fields[n] !== undefined ? valueText(pw, n, c.fields[n], ctx) : "—")),
      h("td", {}, text(c.state_title))))))
      : h("p", {}, t("noCases")));
  const formSection = await newRecordForm(pw, ctx);
  const reports = h("div");
  async function drawReports() {
    const sections = [];
    for (const rp of pw.reports || []) sections.push(await reportSection(pw, rp, null, null, drawReports));
    reports.replaceChildren(...sections);
  }
  append(main, h("h1", {}, text(pw.title)), tabs(), h("p", {}, text(pw.description)), filter, listSection, formSection, reports);
  await drawReports();
}

async function newRecordForm(pw, ctx) {
  if (!ctx.me.may_open.some((m) => m.pathway === pw.id)) return null;
  const box = errorBox();
  const fields = [];
  for (const use of pw.requires.fields || []) {
    const def = fieldDef(pw, use.name);
    const opts = def.type === "orgs" || def.type === "cases" ? { options: (await listChoices(def, ctx)).options } : {};
    fields.push(pathwayField(def, use.required, opts));
  }
  const form = h("form", { novalidate: true, "aria-labelledby": "h-new-record" }, box, noPersonalData(), fields.map((f) => f.el),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "button primary" }, t("recordSave"))));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const errors = check(fields);
    if (errors.length) return showErrors(box, errors);
    try {
      const made = (await api("POST", "/v1/cases", { body: { pathway: pw.id, fields: values(fields) }, idempotencyKey: newKey() })).json;
      ctx.go(`/cases/${made.id}`);
    } catch (e) {
      showApiError(box, fields, e);
    }
  });
  return h("section", { class: "panel", "aria-labelledby": "h-new-record" }, h("h2", { id: "h-new-record" }, t("newRecord")), form);
}

export async function render(main, ctx) {
  // the coordinators' alone: anyone else meets the API's refusal first
  await api("GET", "/v1/notifications?limit=1");
  if (ctx.arg) return one(main, ctx, decodeURIComponent(ctx.arg));
  return list(main, ctx);
}
