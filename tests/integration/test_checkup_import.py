"""The health-checkup intake (SPEC §6a): a CP932 (Shift_JIS) file with eligible,
ineligible and malformed rows gives exactly the expected cases and row errors,
twice without duplicates; a corrected re-export reports the changed row."""
import json

from daemon import Daemon, pharmacy_referral
from helpers import expect, tsunagu

HEADER = ("checkup_date,person_id,name,kana,birth_date,sex,phone,area,"
          "q1,q2,q3,q4,q5,q6,q7,q8,q9,q10,q11,q12,q13,q14,q15,needs_support")
ANSWERS_OK = "1,1,1,2,2,2,2,2,1,2,2,2,1,1,1"     # option numbers: no risk in q2, q13-q15


def row(pid, name, birth, area="unosumai", answers=ANSWERS_OK, needs="", date="2026/06/10", sex="2"):
    return "%s,%s,%s,ｶﾏｲｼ,%s,%s,0193-00-0000,%s,%s,%s" % (date, pid, name, birth, sex, area, answers, needs)


ROWS = [
    row("H-001", "髙橋 ハナ", "1948/03/02", answers="①,③,1,2,2,2,2,2,1,2,2,2,1,1,1"),  # 78, risk q2 -> nurse
    row("H-002", "佐藤 一郎", "1950/01/01"),                                           # 76, no risk -> letter
    row("H-003", "若い 人", "1990/05/05"),                                             # 36, not eligible
    row("H-004", "若い 支援", "1990/05/05", needs="1"),                                # needs support -> nurse
    row("H-005", "鈴木 花", "1946/02/30"),                                             # bad birth date
    row("H-006", "田中 次郎", "1947/01/01", answers="1,1,1,2,2,2,2,2,1,2,2,2,たぶん,1,1"),  # bad answer q13
    row("H-007", "伊藤 三郎", "1947/01/01", area="どこか"),                            # unknown area
    "2026/06/10,H-008,列 不足",                                                        # too few columns
    row("H-009", "山本 四郎", "1947/01/01", area="鵜住居地区", answers="1,1,1,2,2,2,2,2,1,2,2,2,2,1,1"),  # q13 いいえ
]


def cp932(lines):
    return ("\r\n".join([HEADER] + lines) + "\r\n").encode("cp932")


def post(d, body, who="checkup"):
    return d.request("POST", "/v1/imports/checkup", raw_body=body, who=who,
                     headers={"Content-Type": "text/csv; charset=Shift_JIS"})


def test_shift_jis_file_opens_exactly_the_expected_cases_twice_without_duplicates():
    with Daemon() as d:
        r = post(d, cp932(ROWS))
        expect(r.status == 200, r)
        rep = r.json
        expect(rep["rows"] == 9, rep)
        opened = {o["row"]: o for o in rep["opened"]}
        expect(sorted(opened) == [2, 3, 5, 10], rep["opened"])
        expect(opened[2]["state"] == "to_contact" and opened[3]["state"] == "information", opened)
        expect(opened[5]["state"] == "to_contact" and opened[10]["state"] == "to_contact", opened)
        expect(all(o["receiver"] == "life-unosumai" for o in opened.values()), opened)
        expect(rep["not_eligible"] == [{"row": 4}], rep["not_eligible"])
        refused = {x["row"]: x for x in rep["refused"]}
        expect(sorted(refused) == [6, 7, 8, 9], refused)
        expect(refused[6]["column"] == "birth_date" and refused[6]["code"] == "invalid_field", refused[6])
        expect(refused[7]["column"] == "q13" and "たぶん" in refused[7]["message_ja"], refused[7])
        expect(refused[8]["column"] == "area", refused[8])
        expect(refused[9]["code"] == "invalid_row", refused[9])
        # the answers were read against the form: ① -> よい, ③ -> やや不満; kana folded as given
        case = d.get("/v1/cases/" + opened[2]["case_id"], who="checkup").json
        expect(case["fields"]["q1"] == "よい" and case["fields"]["q2"] == "やや不満", case["fields"])
        expect(case["fields"]["checkup_date"] == "2026-06-10" and case["subject"]["birth_date"] == "1948-03-02", case)
        expect(case["subject"]["name"] == "髙橋 ハナ" and case["subject"]["sex"] == "female", case["subject"])
        expect(d.db_rows("SELECT count(*) FROM cases")[0][0] == 4, "four cases")
        again = post(d, cp932(ROWS)).json
        expect(again["opened"] == [] and len(again["unchanged"]) == 5 and again["changed"] == [], again)
        expect(d.db_rows("SELECT count(*) FROM cases")[0][0] == 4, "still four cases")
        corrected = list(ROWS)
        corrected[1] = corrected[1].replace("0193-00-0000", "0193-99-9999")
        rep3 = post(d, cp932(corrected)).json
        expect([c["row"] for c in rep3["changed"]] == [3] and rep3["changed"][0]["case_id"] == opened[3]["case_id"],
               rep3)
        expect(d.db_rows("SELECT count(*) FROM cases")[0][0] == 4, "a changed row is reported, not applied")


def test_utf8_with_bom_and_file_level_errors():
    with Daemon() as d:
        body = ("\ufeff" + HEADER + "\n" + row("U-1", "BOM 太郎", "1940-01-01") + "\n").encode("utf-8")
        r = post(d, body)
        expect(r.status == 200 and len(r.json["opened"]) == 1, r)
        r = post(d, (HEADER.replace(",needs_support", "") + "\n").encode())
        expect(r.status == 422 and r.json["error"]["code"] == "missing_column" and
               r.json["error"]["field"] == "needs_support", r)
        r = post(d, (HEADER + ",extra\n").encode())
        expect(r.status == 422 and r.json["error"]["code"] == "unknown_column", r)
        r = post(d, b"\xff\xfe\x00garbage")
        expect(r.status == 422 and r.json["error"]["code"] == "invalid_encoding", r)
        r = d.request("POST", "/v1/imports/checkup", raw_body=b"x", who="checkup",
                      headers={"Content-Type": "application/json"})
        expect(r.status == 415, r)
        expect(post(d, cp932(ROWS), who="pharmacist").status == 403, "checkup staff only")


def test_command_line_import():
    d = Daemon()
    try:
        d.start()
        uid = [u for u, n in d.db_rows("SELECT id, name FROM users") if n == "健診担当 渡辺"][0]
        d.stop()
        path = d.tmp + "/results.csv"
        open(path, "wb").write(cp932(ROWS))
        proc = tsunagu("checkup", "import", path, "--config", d.config, "--user", uid)
        expect(proc.returncode == 3, "rows were refused: %d %s" % (proc.returncode, proc.stderr))
        rep = json.loads(proc.stdout)
        expect(len(rep["opened"]) == 4 and len(rep["refused"]) == 4, rep)
        proc = tsunagu("checkup", "import", path, "--config", d.config, "--user", uid)
        expect(len(json.loads(proc.stdout)["opened"]) == 0, proc.stdout)
        proc = tsunagu("audit", "verify", "--config", d.config)
        expect(proc.returncode == 0, proc.stdout)
    finally:
        d.cleanup()


def test_possible_duplicate_persons_are_flagged_to_the_receiver_not_merged():
    with Daemon() as d:
        # an open pharmacy referral of カマイシ ハナコ, born 1948-03-02
        ph = d.post("/v1/cases", pharmacy_referral(), who="pharmacist")
        expect(ph.status == 201, ph)
        lines = [
            # the same person by kana and birth date, written in half-width katakana
            "2026/06/10,H-101,釜石 花子,ｶﾏｲｼ ﾊﾅｺ,1948/03/02,2,0193-00-0000,unosumai,%s,1" % ANSWERS_OK,
            # one person, two checkups: the second finds the first by person_id
            "2026/06/10,H-102,鵜住 次郎,ｳﾉｽﾐ ｼﾞﾛｳ,1947/01/01,1,,unosumai,%s,1" % ANSWERS_OK,
            "2026/09/01,H-102,鵜住 次郎,ウノスミ　ジロウ,1947/01/01,1,,unosumai,%s,1" % ANSWERS_OK,
            # nobody else
            "2026/06/10,H-103,唐丹 三子,ﾄｳﾆ ﾐﾂｺ,1945/05/05,2,,unosumai,%s,1" % ANSWERS_OK,
        ]
        rep = post(d, cp932(lines)).json
        opened = {o["row"]: o["case_id"] for o in rep["opened"]}
        expect(sorted(opened) == [2, 3, 4, 5], rep)
        view = lambda row, who="life_nurse": d.get("/v1/cases/" + opened[row], who=who).json
        expect(view(2)["possible_duplicates"] == [{"reason": "same_kana_and_birth_date", "case_id": None}],
               view(2)["possible_duplicates"])  # the pharmacy's case is not the life centre's to see
        expect(view(3)["possible_duplicates"] == [], view(3))
        expect(view(4)["possible_duplicates"] == [{"reason": "same_person_id", "case_id": opened[3]}], view(4))
        expect(view(5)["possible_duplicates"] == [], view(5))
        expect("possible_duplicates" not in view(4, "checkup"), "the origin does not hear of other cases")
        # nothing merged: four cases, each its own subject
        expect(len({d.db_rows("SELECT subject_id FROM cases WHERE id = ?", (c,))[0][0] for c in opened.values()}) == 4, opened)
        told = d.db_rows("SELECT case_id, org FROM outbox WHERE template = 'possible_duplicate' ORDER BY case_id")
        expect(sorted(told) == sorted([(opened[2], "life-unosumai"), (opened[4], "life-unosumai")]), told)
        # a closed case is no longer an open duplicate: only the checkup case remains
        d.post("/v1/cases/%s/actions/withdraw" % ph.json["id"], {"fields": {"reason": "本人の希望"}}, who="pharmacist")
        again = d.post("/v1/cases", pharmacy_referral(), who="pharmacist2").json
        dups = d.get("/v1/cases/" + again["id"], who="nurse").json["possible_duplicates"]
        expect(dups == [{"reason": "same_kana_and_birth_date", "case_id": None}], dups)


def test_referrals_without_a_person_id_find_each_other_by_kana_and_birth_date():
    with Daemon() as d:
        # two pharmacies refer カマイシ ハナコ, born 1948-03-02; neither knows a person_id
        first = d.post("/v1/cases", pharmacy_referral(), who="pharmacist").json
        second = d.post("/v1/cases", pharmacy_referral(), who="pharmacist2").json
        dups = d.get("/v1/cases/" + second["id"], who="nurse").json["possible_duplicates"]
        expect(dups == [{"reason": "same_kana_and_birth_date", "case_id": first["id"]}], dups)
        told = d.db_rows("SELECT case_id FROM outbox WHERE template = 'possible_duplicate'")
        expect(told == [(second["id"],)], told)


def test_every_missing_column_is_reported_at_once():
    with Daemon() as d:
        header = HEADER.replace(",needs_support", "").replace("phone,", "").replace("q1,", "qq1,")
        r = post(d, (header + "\n").encode())
        expect(r.status == 422, r)
        problems = {(e["code"], e["field"]) for e in r.json["errors"]}
        expect({("missing_column", "needs_support"), ("missing_column", "phone"), ("missing_column", "q1"),
                ("unknown_column", "qq1")} <= problems, problems)


def test_changed_rows_say_which_columns_and_can_be_applied():
    with Daemon() as d:
        lines = [row("C-1", "変更 一", "1948/03/02", answers="①,③,1,2,2,2,2,2,1,2,2,2,1,1,1"),  # to the nurse
                 row("C-2", "変更 二", "1950/01/01")]                                        # a letter
        rep = post(d, cp932(lines)).json
        first = {o["row"]: o for o in rep["opened"]}
        nurse_case, letter_case = first[2]["case_id"], first[3]["case_id"]
        expect(first[3]["state"] == "information", first)
        r = d.post("/v1/cases/%s/actions/letter_sent" % letter_case, {"fields": {"letter_sent_on": "2026-06-10"}},
                   who="checkup")
        expect(r.status == 200 and r.json["final"], r)
        changed = [lines[0].replace("0193-00-0000", "0193-12-3456"), lines[1].rstrip(",") + ",1"]
        changed[1] = row("C-2", "変更 二", "1950/01/01", needs="1")
        rep = post(d, cp932(changed)).json
        cols = {c["row"]: c["columns"] for c in rep["changed"]}
        expect(cols == {2: ["phone"], 3: ["needs_support"]}, rep["changed"])
        expect(d.db_rows("SELECT count(*) FROM cases")[0][0] == 2, "reported, not applied")
        r = d.request("POST", "/v1/imports/checkup?apply_changes=true", raw_body=cp932(changed), who="checkup",
                      headers={"Content-Type": "text/csv; charset=Shift_JIS"})
        rep = r.json
        applied = {c["row"]: c["applied"] for c in rep["changed"]}
        expect(applied == {2: "corrected", 3: "opened"}, rep)
        case = d.get("/v1/cases/" + nurse_case, who="life_nurse").json
        expect(case["subject"]["phone"] == "0193-12-3456", case["subject"])
        events = d.get("/v1/cases/%s/events" % nurse_case, who="life_nurse").json["items"]
        expect(events[-1]["action"] == "correct_subject", [e["action"] for e in events])
        new = [o for o in rep["opened"] if o.get("follows") == letter_case]
        expect(len(new) == 1 and new[0]["state"] == "to_contact", rep["opened"])
        again = post(d, cp932(changed)).json
        expect(again["changed"] == [] and len(again["unchanged"]) == 2, again)


def test_a_row_with_several_problems_reports_them_all_in_its_one_entry():
    with Daemon() as d:
        bad = row("H-101", "二つ 問題", "1947/01/01", answers="たぶん,1,1,2,2,2,2,2,1,2,2,2,ときどき,1,1")
        r = post(d, cp932([bad, row("H-102", "正しい 行", "1947/01/01")]))
        expect(r.status == 200, r)
        refused = r.json["refused"]
        expect([x["row"] for x in refused] == [2], refused)
        columns = [refused[0]["column"]] + [x["column"] for x in refused[0].get("also", [])]
        expect(columns == ["q1", "q13"], refused)
        expect(all(x["message_ja"] for x in refused[0]["also"]), refused)
        expect(len(r.json["opened"]) + len(r.json["not_eligible"]) == 1, r.json)
        # cells the opening checks (the area) are checked too when an answer could not be read
        bad = row("H-103", "三つ 問題", "1947/01/01", area="どこか", answers="9,1,1,2,2,2,2,2,1,2,2,2,1,1,1")
        refused = post(d, cp932([bad])).json["refused"]
        columns = [refused[0]["column"]] + [x["column"] for x in refused[0].get("also", [])]
        expect(columns == ["q1", "area"], refused)
