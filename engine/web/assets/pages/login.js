// login — sign in with a login name and passphrase; the first visit sets the passphrase with the
// one-time enrolment code; roles that need it then pass the TOTP step (setting the app up first
// when no code was ever accepted). A new session id comes with each step.
import { api, ApiError, setSession } from "../api.js";
import { append, clear, h } from "../dom.js";
import { t } from "../i18n.js";
import { errorBox, field, showErrors } from "../forms.js";

function safeNext(params) {
  const next = params.get("next") || "/";
  // only a path of ours: never another origin
  return /^\/(?!\/)[A-Za-z0-9_\-/?=&.%]*$/.test(next) ? next : "/";
}

function done(ctx) {
  location.assign(safeNext(ctx.params));
}

function reasonText(params) {
  const r = params.get("reason");
  if (r === "idle" || r === "ended") return t("sessionEnded");
  return null;
}

async function submit(main, ctx, form, fields, box, call) {
  const errors = [];
  for (const f of fields) {
    const v = f.value();
    f.setError(null);
    if (!v) {
      f.setError(`${typeof f.def.title === "string" ? f.def.title : f.def.name}: ${t("required")}`);
      errors.push({ field: f, message: `${f.def.title}: ${t("required")}` });
    }
  }
  if (errors.length) return showErrors(box, errors);
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const r = await call();
    const reply = r.json;
    setSession(reply.session);
    if (reply.session.stage === "totp") return totpStep(main, ctx, reply);
    done(ctx);
  } catch (e) {
    const target = e instanceof ApiError && e.field ? fields.find((f) => f.name === e.field) : null;
    if (target) target.setError(e.message);
    showErrors(box, [{ field: target || fields[0], message: e.message }]);
  } finally {
    button.disabled = false;
  }
}

function signInForm(main, ctx) {
  ctx.title(t("loginTitle"));
  const box = errorBox();
  const login = field({ name: "login", title: t("loginName"), required: true, help: t("loginNameHelp") });
  const pass = field({ name: "passphrase", title: t("passphrase"), required: true, inputType: "password" });
  login.el.querySelector("input").setAttribute("autocomplete", "username");
  pass.el.querySelector("input").setAttribute("autocomplete", "current-password");
  const form = h("form", { class: "narrow", novalidate: true }, box, login.el, pass.el,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "button primary" }, t("signIn"))));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    submit(main, ctx, form, [login, pass], box, () => api("POST", "/v1/session", {
      body: { login: login.value(), passphrase: pass.value() }, signingIn: true }));
  });
  const reason = reasonText(ctx.params);
  append(clear(main), h("h1", {}, t("loginTitle")), reason ? h("p", { class: "notice", role: "status" }, reason) : null, form,
    h("p", {}, h("a", { href: "#", id: "enrol-link", onclick: (ev) => { ev.preventDefault(); enrolForm(main, ctx); } }, t("firstTime"))));
  login.focus();
}

function enrolForm(main, ctx) {
  ctx.title(t("enrolTitle"));
  const box = errorBox();
  const login = field({ name: "login", title: t("loginName"), required: true, help: t("loginNameHelp") });
  const code = field({ name: "code", title: t("enrolCode"), required: true, help: t("enrolCodeHelp") });
  const pass = field({ name: "passphrase", title: t("newPassphrase"), required: true, help: t("passphraseHelp"), inputType: "password" });
  const pass2 = field({ name: "passphrase2", title: t("newPassphrase2"), required: true, inputType: "password" });
  for (const f of [pass, pass2]) f.el.querySelector("input").setAttribute("autocomplete", "new-password");
  code.el.querySelector("input").setAttribute("autocomplete", "one-time-code");
  const form = h("form", { class: "narrow", novalidate: true }, box, login.el, code.el, pass.el, pass2.el,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "button primary" }, t("save"))));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const errors = [];
    if ((pass.value() || "").length < 10) errors.push({ field: pass, message: t("passShort") });
    else if (pass.value() !== pass2.value()) errors.push({ field: pass2, message: t("passMismatch") });
    for (const e of errors) e.field.setError(e.message);
    if (errors.length) return showErrors(box, errors);
    submit(main, ctx, form, [login, code, pass, pass2], box, () => api("POST", "/v1/session/enrol", {
      body: { login: login.value(), code: code.value(), passphrase: pass.value() }, signingIn: true }));
  });
  append(clear(main), h("h1", {}, t("enrolTitle")), form,
    h("p", {}, h("a", { href: "/login" }, t("backToLogin"))));
  login.focus();
}

function totpStep(main, ctx, reply) {
  ctx.title(t("totpTitle"));
  const box = errorBox();
  const code = field({ name: "code", title: t("totpCode"), required: true, help: t("totpCodeHelp"), inputType: "text" });
  const input = code.el.querySelector("input");
  input.setAttribute("autocomplete", "one-time-code");
  input.setAttribute("inputmode", "numeric");
  const setup = reply.totp_setup ? h("section", { class: "panel", "aria-labelledby": "totp-setup" },
    h("h2", { id: "totp-setup" }, t("totpSetup")),
    h("p", {}, `${t("totpKey")}: `, h("code", { class: "secret", id: "totp-secret" }, reply.totp_setup.secret.replace(/(.{4})/g, "$1 ").trim())),
    h("p", { class: "support" }, h("code", { class: "uri" }, reply.totp_setup.uri))) : null;
  const form = h("form", { class: "narrow", novalidate: true }, box, code.el,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "button primary" }, t("send"))));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    submit(main, ctx, form, [code], box, () => api("POST", "/v1/session/totp", { body: { code: code.value() }, signingIn: true }));
  });
  append(clear(main), h("h1", {}, t("totpTitle")), setup, form);
  code.focus();
}

export async function render(main, ctx) {
  // a session half-way (the TOTP step) picks up where it was
  try {
    const r = await api("GET", "/v1/session", { background: true, signingIn: true });
    if (r.json.session) {
      setSession(r.json.session);
      if (r.json.session.stage === "full") return done(ctx);
      return totpStep(main, ctx, r.json);
    }
  } catch (e) {
    /* the daemon could not say: sign in afresh */
  }
  signInForm(main, ctx);
}
