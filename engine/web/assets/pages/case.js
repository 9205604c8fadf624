// case — one case as the caller stands on it: the actions the API offers become buttons and each
// action's `requires` its form; the person's details and consent, fields, links to resources,
// timers, assignment to a colleague, notes with their visibility, possible duplicates, history.
// Every write sends If-Match; a 412 says someone else changed the case and loads it again.
// A record about no person (a pathway of `subject: none`) has no person, consent or links: its
// fields are the record, its forms warn that no personal data belongs in them.
import { api, ApiError, apiItems } from "../api.js";
import { announce, append, clear, h } from "../dom.js";
import { eventName, MILESTONE_ORDER, milestoneName, sexName, t, text } from "../i18n.js";
import { check, errorBox, field, pathwayField, showApiError, showErrors, values } from "../forms.js";
import { dateBoth, dateTime } from "../wareki.js";
import { dueBadge, stateBadge } from "../badges.js";
import { fieldDef, fieldTitle, listChoices, noPersonalData, recordLabel, valueText } from "../record.js";

function dl(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

// The milestones the case reached (the API's milestones_reached): a referral withdrawn after it was
// opened shows 紹介 and 終結 done, not the steps between.
export function progress(c) {
  const at = MILESTONE_ORDER.indexOf(c.milestone);
  const reached = new Set(c.milestones_reached || []);
  return h("ol", { class: "progress", "aria-label": t("progress") }, MILESTONE_ORDER.map((m, i) => {
    const done = reached.has(m);
    return h("li", { class: done ? "done" : "todo", "aria-current": i === at ? "step" : null },
      h("span", { "aria-hidden": "true" }, done ? "✔ " : "・"), milestoneName(m));
  }));
}

export async function render(main, ctx) {
  const id = ctx.arg;
  let c, pw, record = false;
  const recordLabels = {};
  const notice = h("div", { class: "notice", role: "status", hidden: true });
  const valueLabel = (p, name, v) => valueText(p, name, v, ctx, recordLabels);

  async function load() {
    c = (await api("GET", `/v1/cases/${id}`)).json;
    pw = c.pathway ? await ctx.pathway(c.pathway).catch(() => null) : null;
    record = !!pw && pw.subject === "none";
    // the records a cases field names are shown by their labels
    for (const f of (pw && pw.fields) || []) {
      if (f.type !== "cases" || !(c.fields && c.fields[f.name])) continue;
      for (const rid of c.fields[f.name]) {
        if (recordLabels[rid]) continue;
        try {
          const other = (await api("GET", `/v1/cases/${rid}`)).json;
          recordLabels[rid] = recordLabel(await ctx.pathway(other.pathway), other, ctx);
        } catch (e) { recordLabels[rid] = rid; }
      }
    }
  }

  function stale(version) {
    notice.hidden = false;
    notice.replaceChildren(h("h2", {}, t("staleTitle")), h("p", {}, t("staleBody")));
    announce(t("staleTitle"));
  }

  // What a write did (or why it was refused), said where it is seen and heard; the focus goes to it,
  // so a keyboard user goes on from there rather than from the top of the page.
  function tell(message, refused) {
    notice.hidden = false;
    notice.tabIndex = -1;
    notice.replaceChildren(h("p", { class: refused ? "error" : null }, message));
    notice.focus();
  }

  // A write of the case: If-Match with the version on screen; 412 reloads, other refusals are shown.
  async function write(method, path, body, box, fields) {
    try {
      await api(method, path, { body, ifMatch: c.version });
      await load();
      await draw();
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.status === 412) {
        await load();
        await draw();
        stale();
        return false;
      }
      if (box) showApiError(box, fields, e);
      else tell(e.message, true);
      return false;
    }
  }

  async function actionForm(a) {
    const box = errorBox();
    const fields = [];
    for (const r of a.requires) {
      const def = { ...(fieldDef(pw, r.name) || {}), ...r, title: r.title || r.name };
      const opts = {};
      if (def.type === "orgs" || def.type === "cases") {
        opts.options = (await listChoices(def, ctx)).options.filter((o) => o.value !== id);
        opts.value = c.fields && c.fields[r.name];
      }
      fields.push(pathwayField(def, r.required, opts));
    }
    const form = h("form", { class: "action-form", novalidate: true, "aria-label": text(a.title) }, box,
      record ? noPersonalData() : null, fields.map((f) => f.el),
      h("div", { class: "actions" },
        h("button", { type: "submit", class: "button primary" }, text(a.title)),
        h("button", { type: "button", class: "button", onclick: () => form.remove() }, t("cancel"))));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const errors = check(fields);
      if (errors.length) return showErrors(box, errors);
      if (await write("POST", `/v1/cases/${id}/actions/${a.name}`, { fields: values(fields) }, box, fields))
        tell(t("actionDone").replace("{action}", text(a.title)));
    });
    return { form, first: fields[0] };
  }

  function actionsSection() {
    const list = h("div", { class: "action-buttons" });
    const slot = h("div");
    for (const a of c.actions || []) {
      list.append(h("button", { type: "button", class: "button primary", "data-action": a.name, onclick: async () => {
        if (!a.requires.length) {
          if (await write("POST", `/v1/cases/${id}/actions/${a.name}`, { fields: {} }))
            tell(t("actionDone").replace("{action}", text(a.title)));
          return;
        }
        const { form, first } = await actionForm(a);
        slot.replaceChildren(form);
        if (first) first.focus();
      } }, text(a.title)));
    }
    return h("section", { "aria-labelledby": "h-actions", class: "panel" }, h("h2", { id: "h-actions" }, t("actionsTitle")),
      c.actions && c.actions.length ? list : h("p", {}, t("noActions")), slot);
  }

  function personSection() {
    const s = c.subject;
    if (!s) return null;
    const canCorrect = c.your_sides.includes("receiver") || c.your_sides.includes("assignee") || c.your_sides.includes("origin");
    const section = h("section", { "aria-labelledby": "h-person", class: "panel" }, h("h2", { id: "h-person" }, t("person")),
      dl([[t("name"), s.name], [t("kana"), s.kana], [t("birthDate"), s.birth_date ? dateBoth(s.birth_date) : null],
        [t("sex"), s.sex ? sexName(s.sex) : null], [t("phone"), s.phone], [t("area"), ctx.areaName(s.area)]]));
    if (canCorrect && !c.final) {
      const slot = h("div");
      section.append(h("button", { type: "button", class: "button", onclick: () => {
        const box = errorBox();
        const fields = [
          field({ name: "name", title: t("name"), value: s.name, personal: true }),
          field({ name: "kana", title: t("kana"), value: s.kana, personal: true }),
          field({ name: "birth_date", type: "birthdate", title: t("birthDate"), value: s.birth_date, help: t("birthHelp"), personal: true }),
          field({ name: "phone", title: t("phone"), value: s.phone, personal: true, inputType: "tel" }),
        ];
        const form = h("form", { novalidate: true, "aria-label": t("correct") }, box, fields.map((f) => f.el),
          h("div", { class: "actions" }, h("button", { type: "submit", class: "button primary" }, t("save")),
            h("button", { type: "button", class: "button", onclick: () => form.remove() }, t("cancel"))));
        form.addEventListener("submit", async (ev) => {
          ev.preventDefault();
          const errors = check(fields);
          if (errors.length) return showErrors(box, errors);
          const patch = {};
          for (const f of fields) {
            const v = f.value();
            if ((v || null) !== (s[f.name] || null)) patch[f.name] = v === undefined ? null : v;
          }
          if (Object.keys(patch).length) await write("PATCH", `/v1/cases/${id}/subject`, patch, box, fields);
          else form.remove();
        });
        slot.replaceChildren(form);
        fields[0].focus();
      } }, t("correct")), slot);
    }
    if (c.consent) {
      const scope = typeof c.consent.scope === "string" ? c.consent.scope : (c.consent.scope.text || c.consent.scope.recipients.join("、"));
      section.append(h("h3", {}, t("consentTitle")), dl([[t("obtainedBy"), c.consent.obtained_by],
        [t("obtainedAt"), dateBoth(c.consent.obtained_at)], [t("method"), c.consent.method === "written" ? t("written") : t("verbal")],
        [t("scope"), scope]]));
      section.append(h("p", {}, h("a", { href: `/print/consent?case=${id}`, class: "button" }, t("printConsent"))));
    }
    return section;
  }

  function fieldsSection() {
    const entries = Object.entries(c.fields || {});
    if (!entries.length) return null;
    return h("section", { "aria-labelledby": "h-fields", class: "panel" }, h("h2", { id: "h-fields" }, text(pw && pw.title) || c.pathway),
      dl(entries.map(([k, v]) => [fieldTitle(pw, k), valueLabel(pw, k, v)])));
  }

  function linksSection() {
    if (record) return null;
    const links = c.links || [];
    const receiving = c.your_sides.includes("receiver") || c.your_sides.includes("assignee");
    const items = links.map((l) => h("li", {},
      h("strong", {}, text(l.resource.name) || l.resource.id), ` — ${t(l.status)}`,
      l.joined_on ? `（${t("joinedOn")} ${dateBoth(l.joined_on)}）` : "",
      receiving && (l.status === "proposed" || l.status === "joined")
        ? [" ", h("a", { class: "button small", href: `/print/slip?case=${id}&link=${l.id}` }, t("printSlip"))] : null));
    return h("section", { "aria-labelledby": "h-links", class: "panel" }, h("h2", { id: "h-links" }, t("links")),
      // who was linked where is the person's: a side that does not see them (the coordinators) is told so, not "none"
      items.length ? h("ul", { class: "plain" }, items) : h("p", {}, c.subject ? t("none") : t("linksNotShown")),
      receiving && !c.final ? h("p", {}, h("a", { class: "button", href: `/resources?case=${id}` }, t("resourcesTitle"))) : null);
  }

  async function assignSection() {
    if (!(c.your_sides.includes("receiver") || c.your_sides.includes("assignee")) || c.final) return null;
    let users = [];
    try { users = (await api("GET", `/v1/orgs/${encodeURIComponent(ctx.me.org.id)}/users`)).json.items; } catch (e) { return null; }
    const f = field({ name: "user", type: "select", title: t("assign"), value: c.assignee_active ? c.assignee : "",
      options: users.filter((u) => u.roles.some((r) => r === "nurse" || r === "agency_staff")).map((u) => ({ value: u.id, title: u.name })) });
    const box = errorBox();
    const form = h("form", { novalidate: true, class: "inline" }, box, f.el,
      h("button", { type: "submit", class: "button" }, t("assignTo")));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (await write("POST", `/v1/cases/${id}/assign`, { user: f.value() || null }, box, [f])) announce(t("assignTo"));
    });
    return h("section", { "aria-labelledby": "h-assign", class: "panel" }, h("h2", { id: "h-assign" }, t("assign")),
      h("p", {}, c.assignee_active ? c.assignee_name : t("unassigned")), form);
  }

  async function notesSection() {
    let notes = [];
    try { notes = await apiItems(`/v1/cases/${id}/notes`); } catch (e) { return null; }
    const box = errorBox();
    const textField = field({ name: "text", type: "longtext", title: t("noteText"), required: true, max_length: 4000, personal: true });
    const vis = field({ name: "visibility", type: "radio", title: t("noteVisibility"), required: true, value: "organisation",
      options: [{ value: "organisation", title: t("visOrganisation") }, { value: "parties", title: t("visParties") }] });
    const form = h("form", { novalidate: true }, box, textField.el, vis.el,
      h("button", { type: "submit", class: "button" }, t("addNote")));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const errors = check([textField, vis]);
      if (errors.length) return showErrors(box, errors);
      try {
        await api("POST", `/v1/cases/${id}/notes`, { body: { text: textField.value(), visibility: vis.value() } });
        await load();
        draw();
      } catch (e) {
        showErrors(box, [{ field: textField, message: e.message }]);
      }
    });
    return h("section", { "aria-labelledby": "h-notes", class: "panel" }, h("h2", { id: "h-notes" }, t("notes")),
      notes.length ? h("ul", { class: "plain notes" }, notes.map((n) => h("li", {},
        h("p", { class: "meta" }, `${dateTime(n.at)} ${n.user_name || n.user}（${ctx.orgName(n.org)}）・`,
          n.visibility === "parties" ? t("visParties") : t("visOrganisation")), h("p", {}, n.text)))) : h("p", {}, t("none")),
      c.final ? null : form);
  }

  async function historySection() {
    let events = [];
    try { events = await apiItems(`/v1/cases/${id}/events`); } catch (e) { return null; }
    const stateTitle = (name) => {
      const st = pw && pw.states.find((s) => s.name === name);
      return st ? text(st.title) : name;
    };
    return h("section", { "aria-labelledby": "h-history", class: "panel" }, h("h2", { id: "h-history" }, t("history")),
      h("ol", { class: "history" }, events.map((e) => h("li", {},
        h("span", { class: "meta" }, dateTime(e.at)), " ",
        h("strong", {}, actionTitle(e.action)), " → ", stateTitle(e.to),
        e.actor && e.actor.user_name ? `（${e.actor.user_name}・${e.actor.org ? ctx.orgName(e.actor.org) : e.actor.org_name || ""}）` : "",
        e.data && e.data.fields && Object.keys(e.data.fields).length
          ? h("ul", { class: "plain small" }, Object.entries(e.data.fields).map(([k, v]) => h("li", {}, `${fieldTitle(pw, k)}: ${valueLabel(pw, k, v)}`)))
          : null))));
  }

  function actionTitle(name) {
    if (name === "open") return milestoneName("opened");
    if (eventName(name)) return eventName(name);
    for (const st of (pw && pw.states) || []) {
      const a = st.actions.find((x) => x.name === name);
      if (a) return text(a.title);
    }
    return name;
  }

  function duplicatesSection() {
    const d = c.possible_duplicates;
    if (!d || !d.length) return null;
    return h("section", { "aria-labelledby": "h-dup", class: "panel warn" }, h("h2", { id: "h-dup" }, t("duplicates")),
      h("ul", { class: "plain" }, d.map((x) => h("li", {}, x.case_id ? h("a", { href: `/cases/${x.case_id}` }, x.case_id) : "—",
        `（${x.reason === "same_person_id" ? "ID" : t("kana") + "・" + t("birthDate")}）`))));
  }

  // What a pending timer will do, from the pathway: take an action (its title) or send a reminder.
  function timerLabel(x) {
    const st = pw && (pw.states || []).find((s) => s.name === c.state);
    const def = st && (st.timers || []).find((y) => y.name === x.name);
    if (!def) return "";
    if (!def.action) return t("timerReminds");
    const a = (st.actions || []).find((y) => y.name === def.action);
    return `${t("timerActs")}: ${a ? text(a.title) : def.action}`;
  }

  function timersSection() {
    if (!c.timers || !c.timers.length) return null;
    return h("section", { "aria-labelledby": "h-timers", class: "panel" }, h("h2", { id: "h-timers" }, t("timers")),
      h("ul", { class: "plain" }, c.timers.map((x) => {
        const label = timerLabel(x);
        return h("li", {}, `${dateTime(x.due_at)}${label ? `　${label}` : ""}`);
      })));
  }

  async function draw() {
    clear(main);
    const who = c.subject ? c.subject.name : record ? recordLabel(pw, c, ctx) : id;
    ctx.title(`${who} — ${t(record ? "recordTitle" : "caseTitle")}`);
    const head = h("div", { class: "case-head" },
      h("h1", {}, who, c.subject && c.subject.kana ? h("span", { class: "kana" }, c.subject.kana) : null),
      // a case that has ended says so once (its state), without a due badge of "closed" beside it
      h("p", { class: "badges" }, stateBadge(c), c.final || c.closed_at ? null : [" ", dueBadge(c)]),
      h("p", {}, record ? `${text(pw.title)}・${ctx.orgName(c.origin)}`
        : `${text(pw && pw.title) || c.pathway}・${ctx.orgName(c.origin)} → ${c.receiver ? ctx.orgName(c.receiver) : "—"}`),
      // a record about no person is not a referral: it has no referral's steps
      record ? null : progress(c),
      h("p", { class: "no-print" }, h("button", { type: "button", class: "button", onclick: async () => {
        try { await api("POST", `/v1/cases/${id}/printed`, { body: { document: "case" } }); window.print(); }
        catch (e) { notice.hidden = false; notice.textContent = e.message; }
      } }, t("printCase"))));
    append(main, head, notice, actionsSection(), duplicatesSection(), personSection(), fieldsSection(), linksSection(),
      timersSection(), await assignSection(), await notesSection(), await historySection());
  }

  await load();
  // A resource provider stands on a case only through its link: its page is where it marks joined or declined.
  if (c.your_sides && c.your_sides.length === 1 && c.your_sides[0] === "provider") {
    location.replace(`/provider?case=${encodeURIComponent(id)}`);
    return;
  }
  await draw();
  // a referral just sent (the form comes here with ?sent=1): said on the case's own page
  if (new URLSearchParams(location.search).get("sent") === "1") {
    tell(t("sent"));
    history.replaceState(null, "", location.pathname);
  }
}
