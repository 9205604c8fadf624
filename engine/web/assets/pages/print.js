// print — A4 documents: the consent form (同意書; blank for a pathway, or filled for a case), the
// large-type slip for the person (つながり処方せん: the activity, day and time, place, contact), and
// the checkup's information letters in bulk with the resources of each person's area. A document
// with the person's details is written to the access log before it is shown for printing.
import { api } from "../api.js";
import { append, h } from "../dom.js";
import { kindName, t, text } from "../i18n.js";
import { dateBoth, today, wareki } from "../wareki.js";

function sheet(...children) {
  return h("article", { class: "sheet" }, ...children);
}

function toolbar() {
  return h("p", { class: "no-print toolbar" }, h("button", { type: "button", class: "button primary", onclick: () => window.print() }, t("print")),
    " ", h("button", { type: "button", class: "button", onclick: () => history.back() }, t("cancel")));
}

async function logged(caseId, document) {
  await api("POST", `/v1/cases/${encodeURIComponent(caseId)}/printed`, { body: { document } });
}

async function consentForm(main, ctx) {
  const caseId = ctx.params.get("case");
  let c = null, pathwayId = ctx.params.get("pathway");
  if (caseId) {
    await logged(caseId, "consent_form");
    c = (await api("GET", `/v1/cases/${encodeURIComponent(caseId)}`)).json;
    pathwayId = c.pathway;
  }
  const pw = await ctx.pathway(pathwayId);
  const s = (c && c.subject) || {};
  const line = (label, value) => h("tr", {}, h("th", { scope: "row" }, label), h("td", {}, value || "\u00a0"));
  ctx.title("同意書");
  append(main, toolbar(), sheet(
    h("h1", { class: "doc-title" }, "個人情報の提供に関する同意書"),
    h("p", { class: "doc-sub" }, text(pw.title)),
    h("p", {}, "私は、次の目的のため、私の氏名・生年月日・連絡先・相談の内容を、下記の機関に提供することに同意します。"),
    h("h2", {}, "目的"), h("p", { class: "large" }, text(pw.consent.purpose)),
    h("h2", {}, "提供先"), h("ul", {}, pw.consent.covers.map((k) => h("li", {}, kindName(k)))),
    h("p", {}, "同意はいつでも撤回できます。撤回の申し出は、紹介した機関または受け手の機関にお伝えください。"),
    h("table", { class: "form-table" }, h("tbody", {},
      line("ご本人の氏名", s.name), line("生年月日", s.birth_date ? `${wareki(s.birth_date)}（${s.birth_date}）` : ""),
      line("同意した日", c && c.consent ? dateBoth(c.consent.obtained_at) : "令和　　年　　月　　日"),
      line("ご本人の署名", ""), line("説明した者", c && c.consent ? c.consent.obtained_by : ctx.me.name),
      line("所属", text(ctx.me.org.name)))),
    h("p", { class: "small" }, `tsunagu ${today()}`)));
}

async function slip(main, ctx) {
  const caseId = ctx.params.get("case"), linkId = ctx.params.get("link");
  await logged(caseId, "slip");
  const c = (await api("GET", `/v1/cases/${encodeURIComponent(caseId)}`)).json;
  const l = (c.links || []).find((x) => x.id === linkId);
  if (!l) throw new Error(t("notFound"));
  const res = (await api("GET", `/v1/resources/${encodeURIComponent(l.resource.id)}`)).json;
  ctx.title("つながり処方せん");
  append(main, toolbar(), sheet(
    h("h1", { class: "doc-title slip-title" }, "つながり処方せん"),
    h("p", { class: "slip-person" }, `${c.subject ? c.subject.name : ""} さん`),
    h("dl", { class: "slip" },
      h("dt", {}, "活動"), h("dd", {}, text(res.name)),
      h("dt", {}, "日時"), h("dd", {}, res.schedule || "—"),
      h("dt", {}, "場所"), h("dd", {}, res.address || "—"),
      h("dt", {}, "連絡先"), h("dd", {}, [res.contact && res.contact.name, res.contact && res.contact.phone].filter(Boolean).join("　") || "—")),
    h("p", { class: "slip-note" }, res.description || ""),
    h("p", { class: "small" }, `${text(ctx.me.org.name)}　${ctx.me.name}　${dateBoth(today())}`)));
}

async function letters(main, ctx) {
  const ids = (ctx.params.get("cases") || "").split(",").filter((x) => /^[A-Za-z0-9_]+$/.test(x)).slice(0, 200);
  ctx.title("お便り");
  const sheets = [];
  const byArea = {};
  for (const id of ids) {
    await logged(id, "letter");
    const c = (await api("GET", `/v1/cases/${id}`)).json;
    if (!byArea[c.area]) byArea[c.area] = (await api("GET", `/v1/resources?area=${encodeURIComponent(c.area || "")}&limit=12`)).json.items;
    sheets.push(sheet(
      h("p", { class: "letter-to" }, `${c.subject ? c.subject.name : ""} 様`),
      h("h1", { class: "doc-title" }, "地域の活動・相談先のご案内"),
      h("p", {}, "先日は健康診査を受けていただき、ありがとうございました。お住まいの地区で参加できる活動や、困ったときの相談先をご案内します。お気軽にお問い合わせください。"),
      h("h2", {}, `${ctx.areaName(c.area)}の社会資源`),
      h("ul", { class: "letter-resources" }, byArea[c.area].map((r) => h("li", {},
        h("strong", {}, text(r.name)), r.schedule ? `　${r.schedule}` : "", r.address ? `　${r.address}` : "",
        r.contact && r.contact.phone ? `　☎ ${r.contact.phone}` : ""))),
      h("p", { class: "small" }, `${text(ctx.me.org.name)}　${dateBoth(today())}`)));
  }
  append(main, toolbar(), sheets);
}

export async function render(main, ctx) {
  document.body.classList.add("printing");
  const kind = ctx.arg;
  if (kind === "consent") return consentForm(main, ctx);
  if (kind === "slip") return slip(main, ctx);
  if (kind === "letters") return letters(main, ctx);
  location.replace(`/cases/${encodeURIComponent(ctx.params.get("case") || "")}`);
}
