// Unit tests of the pages' own date code (engine/web/assets/wareki.js), run by node in make test:
// 和暦 birth dates as people type them, and fiscal years labelled as SPEC §8 says.
import { readFileSync } from "node:fs";
import { strict as assert } from "node:assert";

const src = readFileSync(new URL("../engine/web/assets/wareki.js", import.meta.url), "utf8");
const w = await import("data:text/javascript;base64," + Buffer.from(src).toString("base64"));

const cases = [
  ["昭和23年3月2日", "1948-03-02"], ["S23.3.2", "1948-03-02"], ["s23/3/2", "1948-03-02"], ["1948-03-02", "1948-03-02"],
  ["1948/3/2", "1948-03-02"], ["１９４８／３／２", "1948-03-02"], ["平成元年1月8日", "1989-01-08"], ["R1.5.1", "2019-05-01"],
  ["H31.4.30", "2019-04-30"], ["昭和64年1月8日", null], ["H31.5.1", null], ["S23.2.30", null], ["1948-13-01", null],
  ["", null], ["そのうち", null], ["大正15年12月24日", "1926-12-24"], ["昭和元年12月25日", "1926-12-25"],
];
for (const [typed, want] of cases) assert.equal(w.parseDate(typed), want, typed);

assert.equal(w.wareki("1948-03-02"), "昭和23年3月2日");
assert.equal(w.wareki("2019-05-01"), "令和元年5月1日");
assert.equal(w.dateBoth("2026-05-08T08:30:00+09:00"), "2026-05-08（令和8年5月8日）");
assert.equal(w.fiscalYear("2019-04-01"), "R1年度");
assert.equal(w.fiscalYearLong("2020-03-31"), "令和元年度");
assert.equal(w.fiscalYearLong("2019-03-31"), "平成30年度");
assert.equal(w.fiscalYear("2026-06-15"), "R8年度");
assert.equal(w.age("1948-03-02", "2026-03-01"), 77);
assert.equal(w.age("1948-03-02", "2026-03-02"), 78);
const sup = await import("data:text/javascript;base64," +
  Buffer.from(readFileSync(new URL("../engine/web/assets/suppress.js", import.meta.url), "utf8")).toString("base64"));
assert.equal(sup.maskCount(3, 5, "未満"), "5未満");
assert.equal(sup.maskCount(0, 5, "未満"), "0");
assert.equal(sup.maskCount(5, 5, "未満"), "5");
// one hidden cell: the next smallest goes too, so the total cannot give it back
assert.deepEqual(sup.protectCounts([8, 2, 0], 5, "未満", "非表示"), ["非表示", "5未満", "0"]);
assert.deepEqual(sup.protectCounts([8, 12, 2], 5, "未満", "非表示"), ["非表示", "12", "5未満"]);
// two hidden: neither can be told from the total alone
assert.deepEqual(sup.protectCounts([9, 2, 3], 5, "未満", "非表示"), ["9", "5未満", "5未満"]);
assert.deepEqual(sup.protectCounts([7, 6], 5, "未満", "非表示"), ["7", "6"]);
console.log(`${cases.length + 16} checks of wareki.js and suppress.js passed`);
