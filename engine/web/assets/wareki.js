// wareki — dates in the Japanese era (和暦) beside the western date, and birth dates typed either way:
// 昭和23年3月2日, S23.3.2, S23/3/2, 1948-03-02, 1948/3/2 (full-width digits too; 元年 is year 1).

const ERAS = [
  { ja: "令和", en: "Reiwa", letter: "R", start: "2019-05-01" },
  { ja: "平成", en: "Heisei", letter: "H", start: "1989-01-08" },
  { ja: "昭和", en: "Showa", letter: "S", start: "1926-12-25" },
  { ja: "大正", en: "Taisho", letter: "T", start: "1912-07-30" },
  { ja: "明治", en: "Meiji", letter: "M", start: "1868-10-23" },
];

const pad = (n) => String(n).padStart(2, "0");

function toHalfWidth(s) {
  return s.replace(/[０-９Ａ-Ｚａ-ｚ．／－]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/[ー−―‐]/g, "-").replace(/\s+/g, "");
}

function valid(y, m, d) {
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

// "YYYY-MM-DD" from what a person typed, or null.
export function parseDate(input) {
  if (!input) return null;
  const s = toHalfWidth(String(input).trim());
  let m = s.match(/^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/);
  if (m) {
    const [y, mo, d] = [+m[1], +m[2], +m[3]];
    return valid(y, mo, d) ? `${y}-${pad(mo)}-${pad(d)}` : null;
  }
  m = s.match(/^(令和|平成|昭和|大正|明治|[RHSTMrhstm])(元|\d{1,2})[年./-](\d{1,2})[月./-](\d{1,2})日?$/);
  if (!m) return null;
  const era = ERAS.find((e) => e.ja === m[1] || e.letter === m[1].toUpperCase());
  const year = m[2] === "元" ? 1 : +m[2];
  const y = +era.start.slice(0, 4) + year - 1, mo = +m[3], d = +m[4];
  if (!valid(y, mo, d)) return null;
  const iso = `${y}-${pad(mo)}-${pad(d)}`;
  // the date must fall within that era (昭和64年1月8日 is 平成元年)
  const next = ERAS[ERAS.indexOf(era) - 1];
  if (iso < era.start || (next && iso >= next.start)) return null;
  return iso;
}

function eraOf(iso) {
  return ERAS.find((e) => iso >= e.start) || null;
}

// "昭和23年3月2日" (ja) or "Showa 23 (1948)" style for en; null before Meiji.
export function wareki(iso, lang = "ja") {
  if (!iso) return "";
  const day = iso.slice(0, 10);
  const era = eraOf(day);
  if (!era) return "";
  const y = +day.slice(0, 4) - +era.start.slice(0, 4) + 1, m = +day.slice(5, 7), d = +day.slice(8, 10);
  if (lang === "en") return `${era.en} ${y}`;
  return `${era.ja}${y === 1 ? "元" : y}年${m}月${d}日`;
}

// "2026-05-08（令和8年5月8日）": the western date first, the era beside it.
export function dateBoth(iso, lang = "ja") {
  if (!iso) return "";
  const day = iso.slice(0, 10);
  const w = wareki(day, lang);
  return w ? (lang === "ja" ? `${day}（${w}）` : `${day} (${w})`) : day;
}

// A timestamp in local display: date (era) and HH:MM.
export function dateTime(ts, lang = "ja") {
  if (!ts) return "";
  return `${dateBoth(ts, lang)} ${ts.slice(11, 16)}`;
}

// The fiscal year (年度, April–March) of a date, labelled by the era in force on its last day and
// numbered from its first year, year 1 as 元 (SPEC §8): FY2019 is 令和元年度 (R1年度), FY2018 平成30年度.
function fiscal(iso) {
  const y = +iso.slice(0, 4), m = +iso.slice(5, 7);
  const fy = m >= 4 ? y : y - 1;
  const era = eraOf(`${fy + 1}-03-31`);
  return { era, n: fy - +era.start.slice(0, 4) + 1 };
}

export function fiscalYear(iso) {
  const { era, n } = fiscal(iso);
  return `${era.letter}${n}年度`;
}

export function fiscalYearLong(iso) {
  const { era, n } = fiscal(iso);
  return `${era.ja}${n === 1 ? "元" : n}年度`;
}

// The daemon's date (GET /v1/me), so a desk whose clock is wrong still dates things right.
let serverToday = null;
export function setToday(iso) { serverToday = iso; }

export function today() {
  if (serverToday) return serverToday;
  const t = new Date();
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())}`;
}

export function age(birthIso, onIso) {
  if (!birthIso) return null;
  const on = onIso || today();
  let a = +on.slice(0, 4) - +birthIso.slice(0, 4);
  if (on.slice(5) < birthIso.slice(5, 10)) a -= 1;
  return a;
}
