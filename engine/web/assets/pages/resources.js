// resources — the directory, searched as the API folds text (hiragana, katakana and kanji alike), by
// area and category. Opened from a case (?case=ID) it links the person: whether to hand their name
// and contact to the provider, with the consent check shown plainly, and the slip to print.
import { api, ApiError } from "../api.js";
import { announce, append, h, uid } from "../dom.js";
import { t, text } from "../i18n.js";
import { errorBox, field, showErrors } from "../forms.js";
import { dateBoth } from "../wareki.js";

const CAPACITY = { accepting: "accepting", waitlist: "waitlist", full: "full", closed: "closedCap" };

export async function render(main, ctx) {
  ctx.title(t("resourcesTitle"));
  const caseId = ctx.params.get("case");
  let kase = null;
  if (caseId) kase = (await api("GET", `/v1/cases/${encodeURIComponent(caseId)}`)).json;
  const cats = (await api("GET", "/v1/resources/categories")).json.items;
  const p = ctx.params;
  const area = p.has("area") ? p.get("area") : (kase && kase.area) || "";
  const q = field({ name: "q", title: t("keyword"), help: t("keywordHelp"), value: p.get("q") || "", id: "r-q" });
  const cat = field({ name: "category", type: "select", title: t("category"), value: p.get("category") || "", id: "r-category",
    options: cats.map((c) => ({ value: c.id, title: text(c.title) })) });
  const ar = field({ name: "area", type: "select", title: t("area"), value: area, id: "r-area",
    options: ctx.orgs.areas.map((a) => ({ value: a.id, title: text(a.name) })) });
  const form = h("form", { class: "filters", role: "search", method: "get", action: "/resources" },
    caseId ? h("input", { type: "hidden", name: "case", value: caseId }) : null, q.el, cat.el, ar.el,
    h("button", { type: "submit", class: "button primary" }, t("search")));
  const results = h("div", { class: "results" });
  append(main, h("h1", {}, t("resourcesTitle")),
    kase ? h("p", { class: "lead" }, h("a", { href: `/cases/${caseId}` }, kase.subject ? kase.subject.name : caseId)) : null,
    form, results);

  const query = new URLSearchParams({ limit: "50" });
  if (p.get("q")) query.set("q", p.get("q"));
  if (p.get("category")) query.set("category", p.get("category"));
  if (area) query.set("area", area);
  const r = await api("GET", `/v1/resources?${query}`);
  const linked = new Set(((kase && kase.links) || []).filter((l) => l.status === "proposed" || l.status === "joined").map((l) => l.resource.id));
  results.replaceChildren(h("p", { role: "status" }, `${r.json.items.length}${t("casesCount")}`),
    h("ul", { class: "resource-list" }, r.json.items.map((res) => card(res))));

  function card(res) {
    const capKey = CAPACITY[res.capacity.status] || "accepting";
    const li = h("li", { class: "panel resource" },
      h("h2", {}, text(res.name)),
      h("p", { class: "meta" }, text(res.category_title), "・", text(res.provider_name)),
      res.description ? h("p", {}, res.description) : null,
      h("dl", { class: "facts" },
        res.schedule ? [h("dt", {}, t("when")), h("dd", {}, res.schedule)] : null,
        res.address ? [h("dt", {}, t("where")), h("dd", {}, res.address)] : null,
        res.contact && res.contact.phone ? [h("dt", {}, t("phone")), h("dd", {}, res.contact.phone)] : null,
        [h("dt", {}, t("capacity")), h("dd", {}, t(capKey), res.capacity.confirmed_on ? `（${t("confirmedOn")} ${dateBoth(res.capacity.confirmed_on)}）` : "")]));
    if (kase && !kase.final && (kase.your_sides.includes("receiver") || kase.your_sides.includes("assignee"))) {
      if (linked.has(res.id)) li.append(h("p", { class: "notice" }, t("links")));
      else li.append(linkForm(res));
    }
    return li;
  }

  function linkForm(res) {
    const box = errorBox();
    const share = field({ name: "share_with_provider", type: "checkbox", title: t("shareWithProvider"), id: uid("share") });
    const agreed = field({ name: "agreed", type: "checkbox", title: t("shareConsent"), id: uid("agreed") });
    const covered = kase.consent ? h("p", { class: "support" }, `${t("consentCheck")}: ${t("scope")} — `,
      typeof kase.consent.scope === "string" ? kase.consent.scope : (kase.consent.scope.text || kase.consent.scope.recipients.join("、")))
      : h("p", { class: "support" }, `${t("consentCheck")}: ${t("none")}`);
    agreed.el.hidden = true;
    share.el.querySelector("input").addEventListener("change", (ev) => { agreed.el.hidden = !ev.target.checked; });
    const form = h("form", { novalidate: true, class: "link-form" }, box, share.el, covered, agreed.el,
      h("button", { type: "submit", class: "button primary" }, t("link")));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const body = { resource: res.id, share_with_provider: !!share.value() };
      if (body.share_with_provider && !agreed.value()) {
        agreed.setError(t("shareConsent"));
        return showErrors(box, [{ field: agreed, message: `${t("shareConsent")}: ${t("required")}` }]);
      }
      if (body.share_with_provider && !kase.consent) {
        body.consent = { obtained_by: ctx.me.name, obtained_at: new Date().toISOString().slice(0, 10), method: "verbal",
          scope: { recipients: [res.provider], text: t("shareWithProvider") } };
      }
      try {
        const made = await api("POST", `/v1/cases/${kase.id}/links`, { body, ifMatch: kase.version });
        announce(t("link"));
        const link = made.json.links ? made.json.links.find((l) => l.resource.id === res.id) : made.json;
        form.replaceWith(h("p", { class: "notice", role: "status" }, `${text(res.name)}: ${t("proposed")} `,
          link && link.id ? h("a", { class: "button", href: `/print/slip?case=${kase.id}&link=${link.id}` }, t("printSlip")) : null,
          " ", h("a", { href: `/cases/${kase.id}` }, t("caseTitle"))));
        kase = (await api("GET", `/v1/cases/${kase.id}`)).json;
      } catch (e) {
        if (e instanceof ApiError && e.status === 412) {
          kase = (await api("GET", `/v1/cases/${kase.id}`)).json;
          return showErrors(box, [{ field: null, message: `${t("staleTitle")}。${t("staleBody")}` }]);
        }
        showErrors(box, [{ field: share, message: e.message }]);
      }
    });
    return form;
  }
}
