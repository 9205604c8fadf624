// checkup — checkup staff's work: upload the questionnaire CSV (UTF-8 or Shift_JIS) and read the
// result (refused rows with row, column and reason; changed rows, which can then be applied);
// open a case by hand for ② (anyone judged to need support); and the queue of cases waiting on us
// (the information letters): print the letters in bulk, each with the resources of the person's
// area, then record each as sent with the action the pathway offers there.
import { api, ApiError } from "../api.js";
import { announce, append, h } from "../dom.js";
import { t, text } from "../i18n.js";
import { errorBox, showErrors } from "../forms.js";
import { dateBoth, today } from "../wareki.js";

function table(caption, head, rows) {
  return h("table", {}, h("caption", {}, caption), h("thead", {}, h("tr", {}, head.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c, i) => (i === 0 ? h("th", { scope: "row" }, c) : h("td", {}, c)))))));
}

function report(rep, lang) {
  const parts = [h("p", { role: "status" }, `${rep.rows} ${t("row")}: ${t("opened")} ${rep.opened.length}・${t("refused")} ${rep.refused.length}・${t("changed")} ${rep.changed.length}`)];
  if (rep.refused.length) parts.push(table(t("refused"), [t("row"), t("column"), t("reason")],
    rep.refused.flatMap((x) => [x, ...(x.also || []).map((y) => ({ ...y, row: x.row }))])
      .map((x) => [String(x.row), x.column || "—", lang === "en" ? x.message : x.message_ja])));
  if (rep.changed.length) parts.push(table(t("changed"), [t("row"), t("caseTitle"), t("column")],
    rep.changed.map((x) => [String(x.row), x.case_id ? h("a", { href: `/cases/${x.case_id}` }, x.case_id) : "—",
      (x.columns || []).join("、") + (x.applied ? `（${x.applied}）` : "")])));
  if (rep.opened.length) parts.push(table(t("opened"), [t("row"), t("caseTitle")],
    rep.opened.map((x) => [String(x.row), h("a", { href: `/cases/${x.case_id}` }, x.case_id)])));
  return parts;
}

// The action a queue's case is waiting for: the one the caller may take that needs at most a date.
function queueAction(c) {
  return (c.actions || []).find((a) => a.requires.every((r) => !r.required || r.type === "date"));
}

export async function render(main, ctx) {
  ctx.title(t("checkupTitle"));
  const lang = document.documentElement.lang;
  const box = errorBox();
  const fileId = "checkup-file";
  const input = h("input", { type: "file", id: fileId, name: "file", accept: ".csv,text/csv", "aria-describedby": `${fileId}-help` });
  const result = h("div", { class: "import-result" });
  let lastFile = null;
  async function send(apply) {
    const file = lastFile;
    const q = apply ? "?apply_changes=true" : "";
    try {
      const r = await api("POST", `/v1/imports/checkup${q}`, { body: file, contentType: "text/csv" });
      result.replaceChildren(...report(r.json, lang));
      if (r.json.changed.length && !apply) result.append(h("button", { type: "button", class: "button", onclick: () => send(true) },
        `${t("changed")}: ${t("save")}`));
      announce(t("upload"));
      await loadQueue();
    } catch (e) {
      showErrors(box, [{ field: null, message: e instanceof ApiError ? e.message : String(e) }]);
    }
  }
  const form = h("form", { novalidate: true, class: "panel" }, box,
    h("div", { class: "field" }, h("label", { for: fileId }, t("csvFile"), " ", h("span", { class: "tag tag-required" }, t("required"))),
      h("p", { class: "support", id: `${fileId}-help` }, t("csvHelp")), input),
    h("button", { type: "submit", class: "button primary" }, t("upload")));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!input.files.length) return showErrors(box, [{ field: { id: fileId, focus: () => input.focus() }, message: `${t("csvFile")}: ${t("required")}` }]);
    lastFile = input.files[0];
    await send(false);
  });

  const queue = h("div");
  const may = ctx.me.may_open;
  append(main, h("h1", {}, t("checkupTitle")), form, result,
    may.length ? h("p", {}, may.map((m) => h("a", { class: "button", href: `/refer?pathway=${encodeURIComponent(m.pathway)}` },
      `${t("openByHand")}（${text(m.title)}）`))) : null,
    h("h2", { id: "h-letters" }, t("lettersTitle")), queue);

  async function loadQueue() {
    const list = (await api("GET", "/v1/cases?inbox=org&open=true&limit=200")).json.items;
    const cases = [];
    for (const c of list) cases.push((await api("GET", `/v1/cases/${c.id}`)).json);
    const waiting = cases.filter((c) => queueAction(c));
    if (!waiting.length) { queue.replaceChildren(h("p", {}, t("noCases"))); return; }
    const checks = waiting.map((c) => h("input", { type: "checkbox", id: `q-${c.id}`, value: c.id, checked: true }));
    const qbox = errorBox();
    const rows = waiting.map((c, i) => h("li", {}, checks[i], h("label", { for: `q-${c.id}` },
      `${c.subject ? c.subject.name : c.id}（${ctx.areaName(c.area)}）・${text(c.state_title)}・${dateBoth(c.opened_at)}`),
      " ", h("a", { href: `/cases/${c.id}` }, t("caseTitle"))));
    const selected = () => checks.filter((x) => x.checked).map((x) => x.value);
    queue.replaceChildren(qbox, h("ul", { class: "plain" }, rows), h("div", { class: "action-buttons" },
      h("button", { type: "button", class: "button primary", onclick: () => {
        const ids = selected();
        if (ids.length) window.open(`/print/letters?cases=${ids.join(",")}`, "_blank", "noopener");
      } }, t("printLetters")),
      h("button", { type: "button", class: "button", onclick: async () => {
        for (const id of selected()) {
          const c = waiting.find((x) => x.id === id);
          const a = queueAction(c);
          const fields = {};
          for (const r of a.requires) if (r.type === "date") fields[r.name] = today();
          try {
            await api("POST", `/v1/cases/${id}/actions/${a.name}`, { body: { fields }, ifMatch: c.version });
          } catch (e) {
            showErrors(qbox, [{ field: null, message: `${c.subject ? c.subject.name : id}: ${e.message}` }]);
            return;
          }
        }
        announce(t("recordSent"));
        await loadQueue();
      } }, t("recordSent"))));
  }
  await loadQueue();
}
