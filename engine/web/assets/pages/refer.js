// refer — a new referral, drawn from the pathway definition: the person (birth date in 和暦 or
// western form), the pathway's opening fields, the consent with what it covers, and where the
// referral will go before it is sent. Idempotent: sending twice opens one case.
import { api, ApiError, newKey } from "../api.js";
import { announce, append, h } from "../dom.js";
import { kindName, SEXES, sexName, t, text } from "../i18n.js";
import { apiMessage, check, errorBox, field, pathwayField, showErrors } from "../forms.js";
import { today } from "../wareki.js";

export async function render(main, ctx) {
  ctx.title(t("referTitle"));
  // referrals are about a person; the records about no person have their own pages (/coord/records)
  const may = ctx.me.may_open.filter((m) => m.subject !== "none");
  if (!may.length) {
    append(main, h("h1", {}, t("referTitle")), h("p", {}, t("noActions")));
    return;
  }
  const chosen = ctx.params.get("pathway") && may.find((m) => m.pathway === ctx.params.get("pathway"))
    ? ctx.params.get("pathway") : may.length === 1 ? may[0].pathway : null;
  append(main, h("h1", {}, t("referTitle")));
  if (!chosen) {
    append(main, h("p", {}, t("choosePathway")), h("ul", { class: "choose-list" }, may.map((m) => h("li", {},
      h("a", { class: "button", href: `/refer?pathway=${encodeURIComponent(m.pathway)}` }, text(m.title))))));
    return;
  }
  const pw = await ctx.pathway(chosen);
  const need = new Set(pw.requires.subject);
  const key = newKey();
  const box = errorBox();
  const areaOptions = ctx.orgs.areas.map((a) => ({ value: a.id, title: text(a.name) }));
  const subject = [
    field({ name: "name", title: t("name"), required: need.has("name"), personal: true, id: "subject-name" }),
    field({ name: "kana", title: t("kana"), required: need.has("kana"), personal: true, id: "subject-kana" }),
    field({ name: "birth_date", type: "birthdate", title: t("birthDate"), required: need.has("birth_date"), help: t("birthHelp"), personal: true, id: "subject-birth_date" }),
    field({ name: "sex", type: "enum", title: t("sex"), required: need.has("sex"), options: SEXES.map((s) => ({ value: s, title: sexName(s) })), id: "subject-sex" }),
    field({ name: "phone", title: t("phone"), required: need.has("phone"), personal: true, inputType: "tel", id: "subject-phone" }),
    field({ name: "area", type: "select", title: t("area"), required: need.has("area"), options: areaOptions, id: "subject-area" }),
  ];
  const byName = Object.fromEntries(pw.fields.map((f) => [f.name, f]));
  const fields = pw.requires.fields.map((u) => pathwayField(byName[u.name], u.required, { id: `fields-${u.name}` }));
  const consentRequired = pw.consent.required;
  const consent = [
    field({ name: "obtained_by", title: t("obtainedBy"), required: consentRequired, value: ctx.me.name, id: "consent-obtained_by" }),
    field({ name: "obtained_at", type: "date", title: t("obtainedAt"), required: consentRequired, value: today(), id: "consent-obtained_at" }),
    // no default: how the consent was given is the pharmacist's to say (a written one must not be recorded unchosen)
    field({ name: "method", type: "radio", title: t("method"), required: consentRequired, id: "consent-method",
      options: [{ value: "written", title: t("written") }, { value: "verbal", title: t("verbal") }] }),
    field({ name: "scope", type: "longtext", title: t("scope"), required: consentRequired, value: text(pw.consent.purpose), max_length: 1000, id: "consent-scope" }),
  ];
  const destination = h("p", { class: "destination", role: "status", id: "destination" }, "—");
  // "釜石市地域包括支援センター（地域包括支援センター・ふだん 2 営業日以内に受付）"
  const orgLine = (o) => {
    const usual = o.usually_accepts_within_business_days;
    const extra = usual === null || usual === undefined ? "" : `・${t("usuallyBefore")}${usual}${t("usuallyAfter")}`;
    return `${text(o.name)}（${kindName(o.kind)}${extra}）`;
  };
  let receiverChoice = null;
  const receiverSlot = h("div");
  async function route() {
    const area = subject[5].value();
    receiverChoice = null;
    receiverSlot.replaceChildren();
    if (!area) { destination.textContent = `${t("destination")}: —`; return; }
    try {
      const r = (await api("GET", `/v1/pathways/${encodeURIComponent(chosen)}/routing?area=${encodeURIComponent(area)}`)).json;
      if (r.receiver) destination.textContent = `${t("destination")}: ${orgLine(r.receiver)}`;
      else if (r.routed_by === "opener_or_triage") destination.textContent = `${t("destination")}: ${t("destinationTriage")}`;
      else destination.textContent = `${t("destination")}: ${t("destinationNone")}`;
      if (r.receiver && r.may_choose.length > 1) {
        receiverChoice = field({ name: "receiver", type: "select", title: t("chooseReceiver"), value: r.receiver.id, id: "receiver",
          options: r.may_choose.map((o) => ({ value: o.id, title: orgLine(o) })) });
        receiverChoice.el.querySelector("select").addEventListener("change", (ev) => {
          const o = r.may_choose.find((x) => x.id === ev.target.value);
          if (o) destination.textContent = `${t("destination")}: ${orgLine(o)}`;
        });
        receiverSlot.append(receiverChoice.el);
      }
    } catch (e) {
      destination.textContent = e.message;
    }
  }
  subject[5].el.querySelector("select").addEventListener("change", route);

  const form = h("form", { novalidate: true, class: "referral" }, box,
    h("fieldset", { class: "group" }, h("legend", {}, t("subjectTitle")), subject.map((f) => f.el)),
    fields.length ? h("fieldset", { class: "group" }, h("legend", {}, text(pw.title)), fields.map((f) => f.el)) : null,
    h("fieldset", { class: "group" }, h("legend", {}, t("consentTitle")),
      h("div", { class: "consent-info" },
        h("p", {}, h("strong", {}, `${t("consentPurpose")}: `), text(pw.consent.purpose)),
        h("p", {}, h("strong", {}, `${t("consentCovers")}: `), pw.consent.covers.map(kindName).join("、"))),
      consent.map((f) => f.el),
      h("p", {}, h("a", { href: `/print/consent?pathway=${encodeURIComponent(chosen)}`, target: "_blank", rel: "noopener" }, t("blankConsent")))),
    h("section", { class: "panel", "aria-labelledby": "h-dest" }, h("h2", { id: "h-dest" }, t("destination")), destination, receiverSlot),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "button primary" }, t("sendReferral"))));
  append(main, h("p", { class: "lead" }, text(pw.title)), form);
  subject[0].focus();

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const all = [...subject, ...fields, ...consent];
    const errors = check(all);
    if (errors.length) return showErrors(box, errors);
    const body = { pathway: chosen, subject: {}, fields: {} };
    for (const f of subject) if (f.value() !== undefined) body.subject[f.name] = f.value();
    for (const f of fields) if (f.value() !== undefined) body.fields[f.name] = f.value();
    if (consent.some((f) => f.value() !== undefined)) {
      body.consent = {};
      for (const f of consent) if (f.value() !== undefined) body.consent[f.name] = f.value();
    }
    if (receiverChoice && receiverChoice.value()) body.receiver = receiverChoice.value();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const r = await api("POST", "/v1/cases", { body, idempotencyKey: key });
      announce(t("sent"));
      location.assign(`/cases/${r.json.id}?sent=1`);
    } catch (e) {
      const target = e instanceof ApiError && e.field ? all.find((f) => f.id === e.field.replace(".", "-")) : null;
      const message = apiMessage(e, target);
      if (target) target.setError(message);
      showErrors(box, [{ field: target, message }]);
    } finally {
      button.disabled = false;
    }
  });
}
