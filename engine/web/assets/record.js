// record — what the pages need of a pathway's fields beyond one case: a field's value as people
// read it (choices by their label, dates in both calendars, organisations by name, records by their
// label), the label of a record about no person (its first two opening fields), and the choices of
// a list field (the organisations, or the records of the pathways it names).
import { apiItems } from "./api.js";
import { h } from "./dom.js";
import { t, text } from "./i18n.js";
import { dateBoth } from "./wareki.js";

// The warning on every form of a record about no person: free text is the one place a name could go.
export function noPersonalData() {
  return h("p", { class: "notice warn-text", role: "note" }, t("noPersonalDataWarning"));
}

export function fieldDef(pw, name) {
  return pw && pw.fields.find((x) => x.name === name);
}

export function fieldTitle(pw, name) {
  const f = fieldDef(pw, name);
  return f ? text(f.title) || name : name;
}

// A value as text; `records` maps a record id to its label (cases fields).
export function valueText(pw, name, v, ctx, records) {
  const f = fieldDef(pw, name);
  if (v === true) return t("yes");
  if (v === false) return t("no");
  if (Array.isArray(v)) {
    if (f && f.type === "orgs") return v.map((id) => ctx.orgName(id)).join("、");
    return v.map((id) => (records && records[id]) || id).join("、");
  }
  if (f && f.type === "enum" && f.options) {
    const o = f.options.find((x) => x.value === v);
    if (o && o.title) return text(o.title);
  }
  if (f && f.type === "date" && typeof v === "string") return dateBoth(v);
  if (f && f.type === "org") return ctx.orgName(v);
  return String(v);
}

// A record about no person is named by its first two opening fields: 「A・ケアマネジャーの顔が分からない」.
export function recordLabel(pw, c, ctx) {
  const names = ((pw && pw.requires && pw.requires.fields) || []).map((f) => f.name);
  const parts = names.map((n) => c.fields && c.fields[n]).map((v, i) => (v === undefined || v === null ? null : valueText(pw, names[i], v, ctx)))
    .filter(Boolean).slice(0, 2);
  const label = parts.join("・") || c.id;
  return label.length > 60 ? `${label.slice(0, 59)}…` : label;
}

// Every record of a pathway the caller may see (the list API pages of 500), or those of a fiscal year
// ({ fiscal_year, date_field }: by a date field, or by the opening).
export async function allRecords(pathway, filter = {}) {
  const q = new URLSearchParams({ pathway });
  for (const [k, v] of Object.entries(filter)) if (v) q.set(k, v);
  return apiItems(`/v1/cases?${q}`, 5000, 500);
}

// The choices of an orgs or cases field, and for cases the labels of the records by id.
export async function listChoices(def, ctx) {
  if (def.type === "orgs") return { options: ctx.orgs.items.map((o) => ({ value: o.id, title: text(o.name) })), labels: {} };
  const options = [], labels = {};
  for (const id of def.pathways || []) {
    const pw = await ctx.pathway(id).catch(() => null);
    for (const c of await allRecords(id).catch(() => [])) {
      labels[c.id] = recordLabel(pw, c, ctx);
      options.push({ value: c.id, title: labels[c.id] });
    }
  }
  return { options, labels };
}
