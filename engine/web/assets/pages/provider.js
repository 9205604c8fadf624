// provider — for an organisation that runs resources (a café, an exercise group): the people
// referred to our resources while their link is open, marked joined / declined / ended; and our
// resources' capacity with the date it was confirmed ("usually replies…" starts with a fresh date).
import { api, ApiError } from "../api.js";
import { announce, append, h } from "../dom.js";
import { t, text } from "../i18n.js";
import { errorBox, field, showErrors } from "../forms.js";
import { dateBoth, today } from "../wareki.js";

const INPUT_KEYS = ["name", "description", "category", "provider", "areas", "address", "schedule", "eligibility", "contact", "capacity", "status", "publish"];

export async function render(main, ctx) {
  ctx.title(t("providerTitle"));
  const people = h("div");
  const resources = h("div");
  const heading = h("h1", { tabindex: "-1" }, t("providerTitle"));
  append(main, heading, people,
    h("h2", { id: "h-res" }, t("myResources")), resources);

  async function loadPeople() {
    const items = [];
    for (const status of ["proposed", "joined"]) {
      const r = await api("GET", `/v1/links?status=${status}&limit=200`);
      items.push(...r.json.items);
    }
    people.replaceChildren(items.length ? h("ul", { class: "plain" }, items.map(personItem)) : h("p", {}, t("noCases")));
  }

  // From a notification's link (/cases/ID, sent on here): that person's entry, in view and focused.
  function showCase(caseId) {
    const entry = caseId && people.querySelector(`[data-case="${CSS.escape(caseId)}"] h2`);
    if (!entry) return false;
    entry.tabIndex = -1;
    entry.closest("li").classList.add("current");
    entry.focus();
    entry.scrollIntoView({ block: "center" });
    return true;
  }

  function personItem(l) {
    const box = errorBox();
    const change = async (status) => {
      try {
        await api("PATCH", `/v1/cases/${l.case_id}/links/${l.id}`, { body: { status, on: today() } });
        announce(`${l.person ? l.person.name : ""}: ${t(status)}`);
        await loadPeople();
        // the focus stays with the person (or, once their link has ended, goes to the list's heading)
        if (!showCase(l.case_id)) heading.focus();
      } catch (e) {
        showErrors(box, [{ field: null, message: e instanceof ApiError ? e.message : String(e) }]);
      }
    };
    const buttons = l.status === "proposed"
      ? [["joined", t("markJoined")], ["declined", t("markDeclined")]]
      : [["ended", t("markEnded")]];
    return h("li", { class: "panel", "data-case": l.case_id }, box,
      h("h2", {}, l.person ? l.person.name : "—", l.person && l.person.kana ? h("span", { class: "kana" }, l.person.kana) : null),
      h("p", {}, `${text(l.resource.name)}・${t(l.status)}`),
      h("p", {}, `${t("proposedOn")} ${dateBoth(l.proposed_on)}`, l.joined_on ? `・${t("joinedOn")} ${dateBoth(l.joined_on)}` : ""),
      l.person && l.person.phone ? h("p", {}, `${t("phone")}: ${l.person.phone}`) : null,
      h("div", { class: "action-buttons" }, buttons.map(([s, label]) =>
        h("button", { type: "button", class: "button primary", onclick: () => change(s) }, label))));
  }

  async function loadResources() {
    const r = await api("GET", `/v1/resources?provider=${encodeURIComponent(ctx.me.org.id)}&status=any&limit=200`);
    resources.replaceChildren(r.json.items.length ? h("ul", { class: "plain" }, r.json.items.map(resourceItem)) : h("p", {}, t("none")));
  }

  function resourceItem(res) {
    const box = errorBox();
    const cap = field({ name: "capacity", type: "select", title: t("capacity"), value: res.capacity.status, id: `cap-${res.id}`,
      options: [["accepting", t("accepting")], ["waitlist", t("waitlist")], ["full", t("full")], ["closed", t("closedCap")]]
        .map(([value, title]) => ({ value, title })) });
    const on = field({ name: "confirmed_on", type: "date", title: t("confirmedOn"), value: today(), id: `conf-${res.id}` });
    const form = h("form", { novalidate: true, class: "inline" }, box, cap.el, on.el,
      h("button", { type: "submit", class: "button" }, t("save")));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const input = {};
      for (const k of INPUT_KEYS) if (res[k] !== undefined && res[k] !== null) input[k] = res[k];
      const date = on.value();
      if (date && typeof date === "object") return showErrors(box, [{ field: on, message: t("dateBad") }]);
      input.capacity = { status: cap.value() || "accepting", confirmed_on: date || today() };
      try {
        const r = await api("PUT", `/v1/resources/${encodeURIComponent(res.id)}`, { body: input, ifMatch: res.version });
        res = r.json;
        announce(`${text(res.name)}: ${t("save")}`);
        await loadResources();
      } catch (e) {
        if (e instanceof ApiError && e.status === 412) {
          await loadResources();
          return;
        }
        showErrors(box, [{ field: cap, message: e.message }]);
      }
    });
    return h("li", { class: "panel" }, h("h3", {}, text(res.name)),
      h("p", { class: "meta" }, `${t("capacity")}: ${t(res.capacity.status === "closed" ? "closedCap" : res.capacity.status)}`,
        res.capacity.confirmed_on ? `（${t("confirmedOn")} ${dateBoth(res.capacity.confirmed_on)}）` : ""), form);
  }

  await loadPeople();
  await loadResources();
  showCase(ctx.params.get("case"));
}
