// badges — a case's state and due time as text and shape, never colour alone:
// ▲ 期限超過 N営業日, ● 今日まで, ○ あとN営業日, ■ 終結 (business days: holidays and the New Year closed).
import { h } from "./dom.js";
import { t, text } from "./i18n.js";

export function dueBadge(c) {
  if (c.final || c.closed_at) return h("span", { class: "badge badge-closed" }, h("span", { "aria-hidden": "true" }, "■ "), t("closed"));
  if (c.due_business_days === null || c.due_business_days === undefined) return h("span", { class: "badge badge-none" }, "—");
  const n = c.due_business_days;
  if (c.overdue || n < 0) {
    const days = Math.max(1, -n);
    return h("span", { class: "badge badge-overdue" }, h("span", { "aria-hidden": "true" }, "▲ "),
      days === 1 ? t("overdueBy1") : t("overdueBy").replace("{n}", days));
  }
  if (n === 0) return h("span", { class: "badge badge-today" }, h("span", { "aria-hidden": "true" }, "● "), t("dueToday"));
  return h("span", { class: "badge badge-later" }, h("span", { "aria-hidden": "true" }, "○ "),
    n === 1 ? t("dueIn1") : t("dueIn").replace("{n}", n));
}

export function stateBadge(c) {
  return h("span", { class: `state state-${c.milestone || "none"}` }, text(c.state_title) || c.state);
}

export function isNew(c) {
  return c.milestone === "opened" && !c.assignee && !c.final;
}
