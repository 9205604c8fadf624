// referrals — the people I (my organisation) referred: each referral's progress (紹介 → 受付 → 連絡 →
// つなぎ → フィードバック → 終結), and on opening one what the person was linked to, whether they
// joined, the feedback and the actions the API offers (on the case page). Printable.
import { api } from "../api.js";
import { append, h } from "../dom.js";
import { t, text } from "../i18n.js";
import { dateBoth } from "../wareki.js";
import { dueBadge, stateBadge } from "../badges.js";
import { progress } from "./case.js";

function details(c, ctx) {
  const body = h("div", { class: "detail-body" }, t("loading"));
  const d = h("details", {}, h("summary", {}, t("links"), "・", t("feedback")), body);
  d.addEventListener("toggle", async () => {
    if (!d.open || body.dataset.loaded) return;
    body.dataset.loaded = "1";
    const full = (await api("GET", `/v1/cases/${c.id}`)).json;
    const pw = await ctx.pathway(full.pathway).catch(() => null);
    const links = full.links || [];
    const shown = Object.entries(full.fields || {}).filter(([k]) => k !== "concern" && k !== "referral_note");
    body.replaceChildren(
      h("h3", {}, t("links")),
      links.length ? h("ul", { class: "plain" }, links.map((l) => h("li", {}, h("strong", {}, text(l.resource.name) || l.resource.id),
        ` — ${t(l.status)}`, l.joined_on ? `（${dateBoth(l.joined_on)}）` : ""))) : h("p", {}, t("none")),
      h("h3", {}, t("feedback")),
      shown.length ? h("dl", { class: "facts" }, shown.map(([k, v]) => {
        const f = pw && pw.fields.find((x) => x.name === k);
        const o = f && f.options && f.options.find((x) => x.value === v);
        return [h("dt", {}, f ? text(f.title) : k), h("dd", {}, o ? text(o.title) : f && f.type === "date" ? dateBoth(v) : String(v))];
      })) : h("p", {}, t("none")));
  });
  return d;
}

export async function render(main, ctx) {
  ctx.title(t("referralsTitle"));
  const showClosed = ctx.params.get("closed") === "1";
  const q = new URLSearchParams({ origin: ctx.me.org.id, sort: "due", limit: "200" });
  if (!showClosed) q.set("open", "true");
  const r = await api("GET", `/v1/cases?${q}`);
  const list = h("ol", { class: "referrals" }, r.json.items.map((c) => h("li", { class: "panel" },
    h("h2", {}, h("a", { href: `/cases/${c.id}` }, c.subject ? c.subject.name : c.id),
      c.subject && c.subject.kana ? h("span", { class: "kana" }, c.subject.kana) : null),
    h("p", {}, stateBadge(c), " ", dueBadge(c), " ", `${t("colOpened")}: ${dateBoth(c.opened_at)}・${t("colTo")}: ${c.receiver ? ctx.orgName(c.receiver) : "—"}`),
    progress(c), details(c, ctx))));
  append(main, h("h1", {}, t("referralsTitle")),
    h("p", { class: "no-print" }, h("a", { class: "button primary", href: "/refer" }, t("navRefer")), " ",
      h("a", { href: showClosed ? "/referrals" : "/referrals?closed=1" }, showClosed ? t("showOpen") : t("showClosed")),
      " ", h("button", { type: "button", class: "button", onclick: () => window.print() }, t("print"))),
    r.json.items.length ? list : h("p", {}, t("noCases")));
}
