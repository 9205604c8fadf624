// forms — form fields after the Digital Agency's design system: a visible label, a 必須/任意 tag,
// support text, the error under the field, and an error summary at the top that links to each
// field. Fields are drawn from a pathway's field definitions (type, choices, required).
import { h, uid } from "./dom.js";
import { lang, t, text } from "./i18n.js";
import { parseDate, wareki } from "./wareki.js";

function tag(required) {
  return h("span", { class: required ? "tag tag-required" : "tag tag-optional" }, required ? t("required") : t("optional"));
}

// A field: { el, value(), setError(msg|null), focus(), id }.
// def: { name, type: text|longtext|date|birthdate|enum|bool|int|org|orgs|cases|select|checkbox, title, required,
//        help, options: [{value, title}], max_length, min, max, value, autocomplete, personal }
export function field(def) {
  if (def.type === "date" && !def.help) def = { ...def, help: t("dateHelp") };
  const id = def.id || uid(`f-${def.name}`);
  const helpId = `${id}-help`, errId = `${id}-error`;
  const label = typeof def.title === "string" ? def.title : text(def.title) || def.name;
  const describedBy = [def.help ? helpId : null, errId].filter(Boolean).join(" ");
  const error = h("p", { class: "field-error", id: errId, hidden: true });
  const help = def.help ? h("p", { class: "support", id: helpId }, def.help) : null;
  let control, get, focusEl;
  const common = { id, name: def.name, "aria-describedby": describedBy, "aria-required": def.required ? "true" : null };
  if (def.personal) common.autocomplete = "off";
  const type = def.type;
  if (type === "enum" || type === "bool" || type === "radio") {
    const options = type === "bool"
      ? [{ value: "true", title: t("yes") }, { value: "false", title: t("no") }]
      : def.options || [];
    if (options.length <= 6) {
      const inputs = options.map((o, i) => {
        const oid = `${id}-${i}`;
        const input = h("input", { type: "radio", id: oid, name: id, value: o.value,
          checked: def.value !== undefined && String(def.value) === String(o.value), "aria-describedby": describedBy });
        return h("div", { class: "choice" }, input, h("label", { for: oid }, typeof o.title === "string" ? o.title : text(o.title) || o.value));
      });
      const fieldset = h("fieldset", { class: "field", id: `${id}-set`, "aria-describedby": describedBy },
        h("legend", {}, label, " ", tag(def.required)), help, error, h("div", { class: "choices" }, inputs));
      get = () => {
        const c = fieldset.querySelector("input:checked");
        if (!c) return undefined;
        return type === "bool" ? c.value === "true" : c.value;
      };
      focusEl = () => fieldset.querySelector("input");
      return finish(fieldset, `${id}-0`);
    }
    control = h("select", common, h("option", { value: "" }, t("chooseOne")),
      options.map((o) => h("option", { value: o.value, selected: def.value === o.value },
        typeof o.title === "string" ? o.title : text(o.title) || o.value)));
    get = () => control.value || undefined;
  } else if (type === "select" || type === "org") {
    control = h("select", common, h("option", { value: "" }, t("chooseOne")),
      (def.options || []).map((o) => h("option", { value: o.value, selected: def.value === o.value },
        typeof o.title === "string" ? o.title : text(o.title))));
    get = () => control.value || undefined;
  } else if (type === "orgs" || type === "cases") {
    // a list: one checkbox per choice (organisations, or the records a record may name)
    const chosen = new Set(def.value || []);
    const inputs = (def.options || []).map((o, i) => {
      const oid = `${id}-${i}`;
      return h("div", { class: "choice" }, h("input", { type: "checkbox", id: oid, name: id, value: o.value,
        checked: chosen.has(o.value), "aria-describedby": describedBy }),
        h("label", { for: oid }, typeof o.title === "string" ? o.title : text(o.title) || o.value));
    });
    const fieldset = h("fieldset", { class: "field", id: `${id}-set`, "aria-describedby": describedBy },
      h("legend", {}, label, " ", tag(def.required)), help, error,
      inputs.length ? h("div", { class: "choices choices-many" }, inputs) : h("p", {}, t("noChoices")));
    get = () => {
      const values = Array.from(fieldset.querySelectorAll("input:checked")).map((c) => c.value);
      return values.length ? values : undefined;
    };
    focusEl = () => fieldset.querySelector("input") || fieldset;
    return finish(fieldset, inputs.length ? `${id}-0` : `${id}-set`);
  } else if (type === "checkbox") {
    control = h("input", { type: "checkbox", ...common, checked: !!def.value });
    const wrap = h("div", { class: "field field-check" }, control, h("label", { for: id }, label), help, error);
    get = () => control.checked;
    focusEl = () => control;
    return finish(wrap, id);
  } else if (type === "longtext" || (type === "text" && (def.max_length || 0) > 200)) {
    control = h("textarea", { ...common, rows: 4, maxlength: def.max_length || null }, def.value || "");
    get = () => control.value.trim() || undefined;
  } else if (type === "int") {
    control = h("input", { ...common, type: "number", inputmode: "numeric", min: def.min, max: def.max, value: def.value ?? "" });
    get = () => (control.value === "" ? undefined : Number(control.value));
  } else if (type === "date" || type === "birthdate") {
    // typed as people write dates; the era or the western date shown back beside it
    const echo = h("p", { class: "support echo", "aria-live": "polite" });
    control = h("input", { ...common, type: "text", inputmode: type === "date" ? "numeric" : "text",
      value: def.value || "", class: "input-date" });
    const show = () => {
      const iso = parseDate(control.value);
      echo.textContent = iso ? `${iso}（${wareki(iso)}）` : "";
    };
    control.addEventListener("input", show);
    get = () => {
      if (!control.value.trim()) return undefined;
      return parseDate(control.value) || { invalid: control.value };
    };
    const wrap = h("div", { class: "field" }, h("label", { for: id }, label, " ", tag(def.required)), help, error, control, echo);
    show();
    focusEl = () => control;
    return finish(wrap, id);
  } else {
    control = h("input", { ...common, type: def.inputType || "text", value: def.value || "", maxlength: def.max_length || null });
    get = () => control.value.trim() || undefined;
  }
  const wrap = h("div", { class: "field" }, h("label", { for: id }, label, " ", tag(def.required)), help, error, control);
  focusEl = () => control;
  return finish(wrap, id);

  function finish(el, focusId) {
    return {
      el, id: focusId, name: def.name, def,
      value: get,
      focus: () => focusEl().focus(),
      setError(msg) {
        error.hidden = !msg;
        error.textContent = msg ? msg : "";
        el.classList.toggle("has-error", !!msg);
        const target = focusEl();
        if (target) target.setAttribute("aria-invalid", msg ? "true" : "false");
      },
    };
  }
}

// The field of a pathway field definition (GET /v1/pathways/{id} fields[] or an action's requires[]).
export function pathwayField(def, required, opts = {}) {
  const type = def.type === "text" ? (def.max_length > 200 ? "longtext" : "text") : def.type;
  return field({ name: def.name, type, title: def.title, required, options: def.options,
    max_length: def.max_length, min: def.min, max: def.max, personal: true, ...opts });
}

// Checks required fields and dates; returns [{field, message}] (empty: fine).
export function check(fields) {
  const errors = [];
  for (const f of fields) {
    const v = f.value();
    let msg = null;
    if (v && typeof v === "object" && v.invalid !== undefined) msg = f.def.type === "birthdate" ? t("birthBad") : t("dateBad");
    else if (f.def.required && (v === undefined || v === "")) {
      const label = typeof f.def.title === "string" ? f.def.title : text(f.def.title) || f.def.name;
      msg = `${label}: ${t("required")}`;
    }
    f.setError(msg);
    if (msg) errors.push({ field: f, message: msg });
  }
  return errors;
}

// The values of the fields that hold one ({name: value}).
export function values(fields) {
  const out = {};
  for (const f of fields) if (f.value() !== undefined) out[f.name] = f.value();
  return out;
}

// An API refusal names a field by its path ("subject.birth_date"); on a form, by the label people see.
export function apiMessage(e, target) {
  if (!target || !e.field) return e.message;
  const title = typeof target.def.title === "string" ? target.def.title : text(target.def.title);
  if (!title) return e.message;
  if (lang === "en") return e.message.split(e.field).join(`"${title}"`);
  // a Japanese message spaces the path from the words around it; 「」 need no space
  const parts = e.message.split(e.field).map((part, i) => (i > 0 ? part.replace(/^ /, "") : part));
  return parts.map((part, i) => (i < parts.length - 1 ? part.replace(/ $/, "") : part)).join(`「${title}」`);
}

// An API refusal on the form: under the field it names ("fields.x" names x), and in the summary.
export function showApiError(box, fields, e) {
  const target = fields && e.field ? fields.find((f) => e.field === f.name || e.field.endsWith(`.${f.name}`)) : null;
  const message = apiMessage(e, target);
  if (target) target.setError(message);
  showErrors(box, [{ field: target, message }]);
}

// The error summary: a heading, a count and one link per field; it takes the focus.
export function showErrors(box, errors) {
  box.replaceChildren();
  box.hidden = errors.length === 0;
  if (!errors.length) return;
  const list = h("ul", {}, errors.map((e) => h("li", {},
    e.field ? h("a", { href: `#${e.field.id}`, onclick: (ev) => { ev.preventDefault(); e.field.focus(); } }, e.message) : e.message)));
  box.append(h("h2", { id: "error-summary-title" }, t("errorsTitle")), h("p", {}, `${errors.length} ${t("errorsCount")}`), list);
  box.focus();
}

export function errorBox() {
  return h("div", { class: "error-summary", role: "alert", tabindex: "-1", "aria-labelledby": "error-summary-title", hidden: true });
}
