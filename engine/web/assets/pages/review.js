// review — the review pack (見直し資料) for one pathway and period, printed on A4 for the review
// meetings with pharmacies and nurses (中間見直し・反省会): the funnel, durations, outcomes,
// reminders and escalations, resource use, and what changed when the period spans versions.
// Aggregates only — no case id, no name — and counts below the configured threshold show as
// 「N未満」, so that nobody in the room can tell who a small number is.
import { api } from "../api.js";
import { append, h } from "../dom.js";
import { milestoneName, MILESTONE_ORDER, t, text } from "../i18n.js";
import { barChart } from "../chart.js";
import { isMasked, maskCount, protectCounts } from "../suppress.js";
import { dateBoth, fiscalYear, fiscalYearLong, today } from "../wareki.js";

function masked(n, threshold) {
  return maskCount(n, threshold, t("under"));
}

function protect(counts, threshold) {
  return protectCounts(counts, threshold, t("under"), t("suppressed"));
}

function table(caption, head, rows, cls) {
  return h("table", { class: cls || null }, h("caption", {}, caption),
    h("thead", {}, h("tr", {}, head.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c, i) => (i === 0 ? h("th", { scope: "row" }, c) : h("td", {}, c)))))));
}

function changeList(title, entries) {
  if (!entries.length) return null;
  const word = { added: t("diffAdded"), removed: t("diffRemoved"), changed: t("diffChanged") };
  return h("div", {}, h("h3", {}, title), h("ul", {}, entries.map((e) => h("li", {},
    `${word[e.change]}: ${text(e.title) || t("rule_" + e.name)}（${e.name}）`, e.what ? `・${e.what.join("、")}` : ""))));
}

// Outcomes add up to the cases closed, which the funnel shows.
function outcomesTable(pw, outcomes, threshold) {
  const entries = Object.entries(outcomes);
  const shown = protect(entries.map(([, v]) => v), threshold);
  return table(t("outcomes"), [t("outcomes"), t("casesCol")], entries.map(([k, v], i) => {
    const o = pw.outcomes.find((x) => x.code === k);
    return [o && o.title ? text(o.title) : k, shown[i]];
  }));
}

// Each category's resources add up to its row above: protected within the category, column by column.
function resourceRows(rows, threshold) {
  const out = rows.map((r) => [text(r.resource_name) || r.resource, "", ""]);
  const byCategory = {};
  rows.forEach((r, i) => (byCategory[r.category] ||= []).push(i));
  for (const idx of Object.values(byCategory)) {
    ["proposed", "joined"].forEach((col, c) => {
      const shown = protect(idx.map((i) => rows[i][col]), threshold);
      idx.forEach((i, k) => { out[i][c + 1] = shown[k]; });
    });
  }
  return out;
}

export async function render(main, ctx) {
  await api("GET", "/v1/notifications?limit=1");   // coordinators only, as the other coordinator pages
  const p = ctx.params;
  const list = (await api("GET", "/v1/pathways")).json.items;
  const id = p.get("pathway") || list[0].id;
  const pw = await ctx.pathway(id);
  const now = today();
  const fyStart = `${+now.slice(0, 4) - (+now.slice(5, 7) < 4 ? 1 : 0)}-04-01`;
  const from = p.get("from") || fyStart, to = p.get("to") || now;
  const q = new URLSearchParams({ from, to, group_by: "pathway" });
  const [funnel, durations, resources] = await Promise.all([api("GET", `/v1/reports/funnel?${q}`),
    api("GET", `/v1/reports/durations?${q}`), api("GET", `/v1/reports/resources?${q}`)]);
  const threshold = funnel.json.small_count_threshold || 5;
  const rows = funnel.json.rows.filter((r) => r.pathway === id);
  ctx.title(`${t("reviewTitle")} ${text(pw.title)}`);
  const pick = h("form", { class: "filters no-print", method: "get", action: "/coord/review" },
    h("div", { class: "filter" }, h("label", { for: "rv-pathway" }, t("filterPathway")),
      h("select", { id: "rv-pathway", name: "pathway" }, list.map((x) => h("option", { value: x.id, selected: x.id === id }, text(x.title))))),
    h("div", { class: "filter" }, h("label", { for: "rv-from" }, t("periodFrom")), h("input", { id: "rv-from", name: "from", value: from, class: "input-date" })),
    h("div", { class: "filter" }, h("label", { for: "rv-to" }, t("periodTo")), h("input", { id: "rv-to", name: "to", value: to, class: "input-date" })),
    h("button", { type: "submit", class: "button" }, t("apply")),
    h("button", { type: "button", class: "button primary", onclick: () => window.print() }, t("print")));
  const sheet = h("article", { class: "sheet review" },
    h("h1", { class: "doc-title" }, t("reviewTitle")),
    h("p", { class: "doc-sub" }, `${text(pw.title)}・${fiscalYearLong(from)}（${fiscalYear(from)}）${dateBoth(from)} 〜 ${dateBoth(to)}`),
    h("p", { class: "small" }, `${t("reviewNote").replaceAll("{n}", threshold)}・${dateBoth(now)}`));
  for (const row of rows) {
    const items = MILESTONE_ORDER.map((m) => ({ label: milestoneName(m), value: row.milestones[m] || 0 }));
    const d = durations.json.rows.find((x) => x.pathway === id && x.pathway_version === row.pathway_version);
    const shownItems = items.map((i) => (i.value > 0 && i.value < threshold
      ? { label: i.label, value: 0, text: masked(i.value, threshold) } : i));
    sheet.append(h("section", { class: "review-version" },
      h("h2", {}, `${t("version")} ${row.pathway_version}（${masked(row.cases, threshold)}${isMasked(row.cases, threshold) ? "" : t("casesCount")}）`),
      h("div", { class: "chart-and-table" }, barChart(shownItems, `${t("funnel")} v${row.pathway_version}`),
        table(t("funnel"), [t("milestone"), t("casesCol")], items.map((i) => [i.label, masked(i.value, threshold)]), "funnel-table")),
      Object.keys(row.outcomes || {}).length ? outcomesTable(pw, row.outcomes, threshold) : null,
      d ? table(`${t("durations")}（${t("businessDays")}）`, [t("fromTo"), t("casesCol"), t("median"), "p90", t("max")],
        d.business_days.map((b) => [`${milestoneName(b.from)} → ${milestoneName(b.to)}`, masked(b.cases, threshold),
          b.cases >= threshold && b.median !== null ? String(b.median) : "—", b.cases >= threshold && b.p90 !== null ? String(b.p90) : "—",
          b.cases >= threshold && b.max !== null ? String(b.max) : "—"])) : null,
      d ? table(t("slaBreaches"), [t("kind"), t("casesCol")], [[t("reminders"), masked(d.reminders, threshold)], [t("escalations"), masked(d.escalations, threshold)]]) : null));
  }
  if (!rows.length) sheet.append(h("p", {}, t("noCases")));
  // resource use of this pathway's cases (the report grouped by pathway)
  const cats = (resources.json.categories || []).filter((c) => c.group === id);
  const perResource = (resources.json.rows || []).filter((r) => r.group === id);
  if (cats.length) {
    sheet.append(h("section", {}, h("h2", {}, t("resourceUse")),
      table(t("resourceUse"), [t("category"), t("proposed"), t("joined"), t("declined"), t("ended")],
        cats.map((c) => [c.category_title || c.category, masked(c.proposed, threshold), masked(c.joined, threshold), masked(c.declined, threshold), masked(c.ended, threshold)])),
      table(t("resourceUseEach"), [t("resourceCol"), t("proposed"), t("joined")], resourceRows(perResource, threshold))));
  }
  // the period spans versions: what changed between the first and the last
  const versions = rows.map((r) => r.pathway_version).sort((a, b) => a - b);
  if (versions.length > 1) {
    const diff = (await api("GET", `/v1/pathways/${encodeURIComponent(id)}/diff?from=${versions[0]}&to=${versions[versions.length - 1]}`)).json;
    sheet.append(h("section", {}, h("h2", {}, `${t("whatChanged")}（v${versions[0]} → v${versions[versions.length - 1]}）`),
      changeList(t("states"), diff.states), changeList(t("actionsTitle"), diff.actions), changeList(t("timers"), diff.timers),
      changeList(t("fieldsTitle"), diff.fields), changeList(t("rulesTitle"), diff.rules)));
  }
  append(main, pick, sheet);
}
