// app — the shell of the pages: who is signed in (GET /v1/me), the header and its navigation by
// role, the route of each page path, the language switch, and the warning a minute before the
// idle sign-out. Every page is a module under pages/ with render(main, ctx).
import { api, ApiError, onEnded, onUse, setSession } from "./api.js";
import { append, clear, h } from "./dom.js";
import { lang, roleName, setLang, t, text } from "./i18n.js";
import { setToday } from "./wareki.js";

const ROUTES = [
  [/^\/login$/, "login", true],
  [/^\/$/, "home"],
  [/^\/inbox$/, "inbox"],
  [/^\/cases\/([A-Za-z0-9_]+)$/, "case"],
  [/^\/refer$/, "refer"],
  [/^\/referrals$/, "referrals"],
  [/^\/provider$/, "provider"],
  [/^\/checkup$/, "checkup"],
  [/^\/resources$/, "resources"],
  [/^\/print\/(consent|slip|letters|case)$/, "print"],
  [/^\/coord$/, "coord"],
  [/^\/coord\/(overdue|notifications|audit|pathways)$/, "coord"],
  [/^\/coord\/review$/, "review"],
  [/^\/coord\/records$/, "records"],
  [/^\/coord\/records\/([a-z0-9_-]+)$/, "records"],
];

const ctx = { me: null, orgs: null, pathways: {}, params: new URLSearchParams(location.search) };
let idleTimer = null, warnTimer = null, idleMinutes = 20, warning = null;

function has(role) { return ctx.me && ctx.me.roles.includes(role); }
ctx.has = has;

// The pathway definitions, fetched once per page load.
ctx.pathway = async (id) => {
  if (!ctx.pathways[id]) ctx.pathways[id] = (await api("GET", `/v1/pathways/${encodeURIComponent(id)}`)).json;
  return ctx.pathways[id];
};
ctx.orgList = async () => {
  if (!ctx.orgs) ctx.orgs = (await api("GET", "/v1/orgs")).json;
  return ctx.orgs;
};
ctx.orgName = (id) => {
  const o = ctx.orgs && ctx.orgs.items.find((x) => x.id === id);
  return o ? text(o.name) : id;
};
ctx.areaName = (id) => {
  const a = ctx.orgs && ctx.orgs.areas.find((x) => x.id === id);
  return a ? text(a.name) : id || "";
};
ctx.go = (path) => { location.assign(path); };
ctx.title = (s) => { document.title = `${s} — tsunagu`; };

function nav() {
  const links = [];
  const may = ctx.me.may_open.some((m) => m.subject !== "none");
  if (has("coordinator")) links.push(["/coord", t("navCoord")]);
  if (has("nurse") || has("coordinator")) links.push(["/inbox", t("navInbox")]);
  if (may) links.push(["/refer", t("navRefer")], ["/referrals", t("navReferrals")]);
  if (has("agency_staff")) links.push(["/provider", t("navProvider")]);
  if (has("checkup_staff")) links.push(["/checkup", t("navCheckup")]);
  if (has("nurse") || has("coordinator") || has("agency_staff")) links.push(["/resources", t("navResources")]);
  return h("nav", { "aria-label": lang === "en" ? "Main" : "メイン" },
    h("ul", {}, links.map(([href, label]) => h("li", {},
      h("a", { href, "aria-current": location.pathname === href || (href === "/coord" && location.pathname.startsWith("/coord/")) ? "page" : null }, label)))));
}

function header() {
  const top = clear(document.getElementById("top"));
  const langButton = h("button", { type: "button", class: "link-button", lang: lang === "ja" ? "en" : "ja",
    "aria-label": t("languageLabel"), onclick: () => { setLang(lang === "ja" ? "en" : "ja"); location.reload(); } }, t("language"));
  const brand = h("a", { class: "brand", href: "/" }, h("img", { src: "/assets/icon.svg", alt: "", width: 28, height: 28 }), t("app"));
  if (!ctx.me) {
    append(top, h("div", { class: "bar" }, brand, h("div", { class: "who" }, langButton)));
    return;
  }
  const who = h("div", { class: "who" },
    h("span", {}, `${t("signedInAs")}: ${ctx.me.name}（${text(ctx.me.org.name)}・${ctx.me.roles.map(roleName).join("、")}）`),
    langButton,
    h("button", { type: "button", class: "link-button", onclick: signOut }, t("signOut")));
  append(top, h("div", { class: "bar" }, brand, who), nav());
}

// What a signed-in page showed goes before the page does: a browser that keeps the page for Back
// (its back/forward cache) must not bring a person's data back to a shared counter's screen.
function forgetPage() {
  for (const id of ["top", "main"]) {
    const el = document.getElementById(id);
    if (el) el.replaceChildren();
  }
}

// A page brought back from the back/forward cache is drawn again, asking the server first.
window.addEventListener("pageshow", (e) => { if (e.persisted) { forgetPage(); location.reload(); } });

async function signOut() {
  try { await api("DELETE", "/v1/session"); } catch (e) { /* ended already */ }
  forgetPage();
  location.assign("/login");
}

function toLogin(reason) {
  forgetPage();
  const next = location.pathname + location.search;
  const q = new URLSearchParams();
  if (next !== "/" && !next.startsWith("/login")) q.set("next", next);
  if (reason) q.set("reason", reason);
  location.assign(`/login${q.toString() ? "?" + q : ""}`);
}

// The idle sign-out: the server ends the session after idle_minutes unused; the page warns a minute
// before and signs out at the end. Background refreshes do not count as use (Tsunagu-Background).
function armIdle() {
  clearTimeout(idleTimer);
  clearTimeout(warnTimer);
  if (warning) { warning.remove(); warning = null; }
  const ms = idleMinutes * 60000;
  warnTimer = setTimeout(warn, Math.max(0, ms - 60000));
  idleTimer = setTimeout(() => toLogin("idle"), ms);
}

function warn() {
  const go = h("button", { type: "button", class: "button primary", onclick: async () => {
    try { await api("GET", "/v1/me"); } catch (e) { /* the session ended: onEnded goes to sign-in */ }
  } }, t("sessionContinue"));
  warning = h("div", { class: "idle-warning", role: "alertdialog", "aria-modal": "false", "aria-labelledby": "idle-title",
    "aria-describedby": "idle-body" },
    h("h2", { id: "idle-title" }, t("sessionWarn")), h("p", { id: "idle-body" }, t("sessionWarnBody")), go);
  document.body.append(warning);
  go.focus();
}

function notFound(main) {
  ctx.title(t("notFound"));
  append(clear(main), h("h1", {}, t("notFound")), h("p", {}, h("a", { href: "/" }, "tsunagu")));
}

export function showFailure(main, e) {
  append(clear(main), h("h1", {}, t("failed")), h("p", { role: "alert" }, e.message || String(e)));
}

async function boot() {
  document.documentElement.lang = lang;
  const main = document.getElementById("main");
  const path = location.pathname;
  const route = ROUTES.find(([re]) => re.test(path));
  onEnded(() => toLogin("ended"));
  onUse(() => { if (ctx.me && ctx.me.session) armIdle(); });
  if (route && route[2]) {
    header();
    const page = await import(`./pages/${route[1]}.js`);
    await page.render(main, ctx);
    return;
  }
  try {
    // asked first: not being signed in is an answer, not an error in the console
    const s = (await api("GET", "/v1/session", { background: true })).json;
    if (!s.session || s.session.stage !== "full") return toLogin();
    ctx.me = (await api("GET", "/v1/me")).json;
    setToday(ctx.me.today);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return toLogin();
    return showFailure(main, e);
  }
  if (ctx.me.session) {
    setSession(ctx.me.session);
    idleMinutes = ctx.me.session.idle_minutes;
    armIdle();
  }
  await ctx.orgList();
  header();
  if (!route) return notFound(main);
  const m = path.match(route[0]);
  ctx.arg = m[1];
  try {
    const page = await import(`./pages/${route[1]}.js`);
    clear(main);
    await page.render(main, ctx);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return notFound(main);
    if (e instanceof ApiError && e.status === 401) return;
    showFailure(main, e);
  }
}

boot();
