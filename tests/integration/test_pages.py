"""The pages in a real browser (headless Chromium): the front line's whole loop — a pharmacist
refers a person by keyboard alone, the nurse (with TOTP) accepts, records contact, links a café
with the handoff and sends feedback, the café marks the person joined, the pharmacist reads the
feedback; checkup staff upload a Shift_JIS file and print the letters. On every page: axe-core
finds nothing serious, the console stays clean under the CSP, no request leaves the daemon, and a
screenshot at 1366x768 is kept under build/test-output/pages/."""
import os
import re
import tempfile
import time
from urllib.parse import urlparse

from browser import Browser
from daemon import Daemon
from helpers import expect
from test_checkup_import import ROWS, cp932
from test_sign_in import totp

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

PASS = "umineko to kamome 2026"
CLOCK = "2026-06-15T10:00:00+09:00"   # a Monday, after the fixture's checkups of 06-10


class Walk:
    """One browser over one daemon; every page it draws is checked the same way."""

    def __init__(self, d):
        self.d = d
        self.b = Browser("http://127.0.0.1:%d" % d.port)
        self.checked = []

    def page(self, name, expected_status=None):
        """expected_status: the one refusal the page was made to meet (a 412), which Chromium logs too."""
        b = self.b
        b.wait_idle()
        b.screenshot(name)
        bad = b.axe()
        expect(not bad, "%s: axe-core finds %r" % (name, bad))
        errors = [e for e in b.console_errors()
                  if not (expected_status and e.get("source") == "network" and " %d " % expected_status in e["message"])]
        expect(not errors, "%s: the console says %r" % (name, errors))
        self.checked.append(name)

    def only_the_daemon(self):
        base = urlparse(self.b.base)
        outside = [u for u in self.b.requests() if urlparse(u).scheme in ("http", "https", "ws", "wss")
                   and urlparse(u).netloc != base.netloc]
        expect(not outside, "requests to other hosts: %r" % outside[:5])

    def unix(self):
        from datetime import datetime
        now = self.d.get("/v1/test/clock", who="coordinator").json["now"]
        return int(datetime.fromisoformat(now).timestamp())

    def enrol(self, login, go=True):
        b = self.b
        if go:
            b.get("/login")
        b.driver.find_element(By.ID, "enrol-link").click()
        if "enrol" not in self.checked:
            self.page("enrol")
        b.fill("ログイン名", login)
        b.fill("登録コード", self.d.enrolment[login])
        b.fill("新しいパスフレーズ（確認）", PASS)
        b.fill("新しいパスフレーズ", PASS)
        b.button("保存").click()

    def totp_step(self, secret=None):
        b = self.b
        b.wait_text("認証アプリの 6 桁のコード")
        if secret is None:
            secret = b.find("#totp-secret").text.replace(" ", "")
        if "totp" not in self.checked:
            self.page("totp")
        b.fill("認証アプリの 6 桁のコード", totp(secret, self.unix()))
        b.button("送信").click()
        return secret

    def sign_in(self, login):
        b = self.b
        b.get("/login")
        b.fill("ログイン名", login)
        b.fill("パスフレーズ", PASS)
        b.button("ログイン").click()

    def sign_out(self):
        self.b.button("ログアウト").click()
        self.b.wait(lambda: self.b.path().startswith("/login"))


def tab_to(b, want, limit=6):
    """Tab (keyboard only) until the focus is on the control named `want`."""
    for _ in range(limit):
        b.keys(Keys.TAB)
        el = b.focused()
        if el.get_attribute("name") == want or el.get_attribute("id") == want:
            return el
    raise AssertionError("Tab never reached %s (at %s)" % (want, b.focused().get_attribute("outerHTML")[:200]))


def test_the_front_line_in_a_real_browser():
    d = Daemon("\nallow_test_clock: true\n")
    w = None
    try:
        d.start(test_clock=CLOCK)
        w = Walk(d)
        b = w.b

        # a notification's link before signing in leads to the sign-in, and back to it after
        mark = b.mark()
        b.get("/cases/c_not_a_case")
        b.wait(lambda: b.path().startswith("/login"))
        expect("next=%2Fcases%2Fc_not_a_case" in b.path(), b.path())
        expect(b.transferred_since(mark) <= 150 * 1024, "first load %d bytes" % b.transferred_since(mark))
        w.page("login")

        # ---- the pharmacist enrols and refers a person, by keyboard alone ----
        w.enrol("sato", go=False)
        b.wait_text("該当するページ・ケースはありません")
        expect(b.path() == "/cases/c_not_a_case", "back at the link after signing in: " + b.path())
        # the one message the console may hold: the 404 of the case that is not there
        expect(all(" 404 " in e["message"] for e in b.console_errors()), "only the 404")
        cookies = {c["name"]: c for c in b.cookies()}
        expect(cookies["tsunagu_session"]["httpOnly"] and cookies["tsunagu_session"]["sameSite"] == "Strict", cookies)
        b.get("/refer?pathway=pharmacy")
        w.page("refer")
        # a refusal of the API names a field by the label people see, never by its path
        said = b.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "import('/assets/forms.js').then((m) => done(m.apiMessage("
            "{ message: 'subject.birth_date が未来の日付です', field: 'subject.birth_date' },"
            "{ def: { title: '生年月日' } })));")
        expect(said == "「生年月日」が未来の日付です", said)
        started = time.time()
        name = b.focused()
        expect(name.get_attribute("id") == "subject-name" and name.get_attribute("autocomplete") == "off", "focus starts on the name")
        name.send_keys("釜石 花子")
        tab_to(b, "kana").send_keys("カマイシ ハナコ")
        tab_to(b, "birth_date").send_keys("S23.3.2")
        b.wait_text("1948-03-02（昭和23年3月2日）")
        tab_to(b, "subject-sex")                  # the radio group: Tab enters it, Space picks
        b.keys(Keys.SPACE)
        tab_to(b, "phone").send_keys("0193-00-0000")
        area = tab_to(b, "area")
        for _ in range(8):
            if area.get_attribute("value") == "unosumai":
                break
            b.keys(Keys.ARROW_DOWN)
        expect(area.get_attribute("value") == "unosumai", "area chosen by keyboard")
        b.wait_text("送り先: 釜石市地域包括支援センター")
        tab_to(b, "fields-concern")
        b.keys(Keys.SPACE)
        tab_to(b, "referral_note").send_keys("最近元気がなく、外出が減った様子")
        # how the consent was given has no default: the pharmacist picks it (Space: the first, written)
        tab_to(b, "consent-method", limit=8)
        b.keys(Keys.SPACE)
        submit = None
        for _ in range(12):
            b.keys(Keys.TAB)
            if b.focused().text.strip() == "紹介を送る":
                submit = b.focused()
                break
        expect(submit is not None, "Tab reaches the send button")
        b.keys(Keys.ENTER)
        b.wait(lambda: b.path().startswith("/cases/"))
        case_id = b.path().split("/")[2].split("?")[0]
        b.wait_text("受付待ち")
        b.wait_text("紹介を送りました")
        expect(time.time() - started < 120, "a whole referral in under two minutes")
        w.page("case-pharmacist")
        expect(d.db_rows("SELECT count(*) FROM cases")[0][0] == 1, "one case")
        b.get("/referrals")
        b.wait_text("釜石 花子")
        w.page("referrals")
        # the printable consent form of the case: an access-log row before it shows
        b.get("/print/consent?case=%s" % case_id)
        b.wait_text("個人情報の提供に関する同意書")
        w.page("print-consent")
        pdf = b.pdf("consent")
        expect(Browser.pdf_pages(pdf) == 1, "the consent form is one A4 page")
        expect(d.db_rows("SELECT count(*) FROM access_log WHERE what = 'case.print.consent_form'")[0][0] == 1, "logged")
        expect(b.storage() == {"local": [], "session": []}, "nothing kept in the browser's storage")
        b.get("/referrals")
        w.sign_out()

        # ---- another pharmacy cannot reach the case by its address ----
        w.enrol("suzuki")
        b.wait(lambda: b.path().startswith("/referrals"))
        b.wait_idle()
        b.get("/cases/%s" % case_id)
        b.wait_text("該当するページ・ケースはありません")
        expect("釜石 花子" not in b.text(), "nothing of the person")
        expect(all(" 404 " in e["message"] for e in b.console_errors()), "only the 404")
        w.sign_out()

        # ---- the nurse, with a second factor ----
        w.enrol("takahashi")
        secret = w.totp_step()
        b.wait(lambda: b.path().startswith("/inbox"))
        b.wait_text("釜石 花子")
        expect("新着" in b.text() and "あと2営業日" in b.text(), b.text()[:600])
        w.page("inbox")
        b.driver.find_element(By.LINK_TEXT, "釜石 花子").click()
        b.wait(lambda: b.path() == "/cases/%s" % case_id)
        b.wait_text("できること")
        # each due time says what it will do
        b.wait_text("自動で: コーディネーターへ報告")
        b.wait_text("お知らせを送信")
        w.page("case-nurse")
        b.button("受け付ける").click()
        b.wait_text("受付済み（本人へ連絡）")
        # what the action did is said on the page, and the focus is there to go on from (not the page's top)
        b.wait_text("「受け付ける」を記録しました")
        expect("「受け付ける」を記録しました" in b.focused().text, b.focused().get_attribute("outerHTML")[:200])
        b.button("連絡を記録").click()
        b.fill("連絡した日", "2026-06-15")
        b.choose("連絡方法", "電話")
        w.page("case-action-form")
        b.all("form.action-form button[type=submit]")[0].click()
        b.wait_text("連絡済み（つなぎ先の調整）")
        # a stale page: someone else changes the case meanwhile; the next write says so and reloads
        d.post("/v1/cases/%s/notes" % case_id, {"text": "電話で本人と話した", "visibility": "organisation"}, who="nurse2")
        version = d.get("/v1/cases/%s" % case_id, who="nurse").json["version"]
        r = d.post("/v1/cases/%s/assign" % case_id, {"user": d.get("/v1/me", who="nurse2").json["id"]}, who="nurse",
                   headers={"If-Match": '"%d"' % version})
        expect(r.status == 200, r)
        b.button("社会資源につないだ").click()
        b.fill("つないだ社会資源", "つながるカフェ")
        b.all("form.action-form button[type=submit]")[0].click()
        b.wait_text("他の人がこのケースを更新しました")
        w.page("case-stale", expected_status=412)
        # link the café with the handoff, and print the slip
        b.get("/resources?case=%s&q=%s&area=" % (case_id, "カフェ"))
        b.wait_text("つながるカフェ 只越")
        w.page("resources")
        card = [c for c in b.all("li.resource") if "つながるカフェ 只越" in c.text][0]
        card.find_element(By.CSS_SELECTOR, "input[name=share_with_provider]").click()
        card.find_element(By.CSS_SELECTOR, "input[name=agreed]").click()
        card.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        b.wait_text("つながり処方せんを印刷")
        b.button("つながり処方せんを印刷").click()
        b.wait_text("つながり処方せん")
        b.wait_text("つながるカフェ 只越")
        w.page("print-slip")
        expect(Browser.pdf_pages(b.pdf("slip")) == 1, "the slip is one page")
        expect(d.db_rows("SELECT count(*) FROM access_log WHERE what = 'case.print.slip'")[0][0] == 1, "slip logged")
        b.get("/cases/%s" % case_id)
        b.button("社会資源につないだ").click()
        b.fill("つないだ社会資源", "つながるカフェ 只越（毎月第2水曜）")
        b.all("form.action-form button[type=submit]")[0].click()
        b.wait_text("つなぎ済み（薬局へフィードバック）")
        b.button("薬局へフィードバック").click()
        b.fill("薬局へのフィードバック", "カフェに参加することになりました。次回の来局時に様子を見てください。")
        b.fill("フォローアップ予定日", "2026-06-29")
        b.all("form.action-form button[type=submit]")[0].click()
        b.wait_text("フィードバック済み") if "フィードバック済み" in b.text() else b.wait(lambda: "薬局へフィードバック" not in [x.text for x in b.all("button")])
        w.sign_out()

        # ---- the café marks the person joined ----
        w.enrol("sasaki")
        b.wait(lambda: b.path().startswith("/provider"))
        b.wait_text("釜石 花子")
        # the link in the café's notification (…/cases/ID) leads to its own page, that person's entry in focus
        b.get("/cases/%s" % case_id)
        b.wait(lambda: b.path().startswith("/provider"), message="the case link leads a provider to its page")
        b.wait(lambda: b.driver.execute_script(
            "const a = document.activeElement; return !!(a && a.closest('li.current[data-case=\"%s\"]'));" % case_id),
            message="the person's entry is focused")
        w.page("provider")
        b.button("参加した").click()
        b.wait(lambda: "終了した" in b.text())
        b.wait(lambda: b.driver.execute_script(
            "const a = document.activeElement; return !!(a && a.closest('li[data-case=\"%s\"]'));" % case_id),
            message="the focus stays with the person after marking them joined")
        expect("提案・提案" not in b.text() and "参加日" in b.text(), b.text()[:800])
        expect(d.db_rows("SELECT status FROM links")[0][0] == "joined", "joined")
        # the café's own resources: capacity and the date it was confirmed
        first = b.find("form.inline select")
        res_id = first.get_attribute("id")[len("cap-"):]
        b.choose("受け入れ状況", "順番待ち")
        b.find("form.inline button[type=submit]").click()
        b.wait(lambda: d.get("/v1/resources/%s" % res_id, who="cafe").json["capacity"] ==
               {"status": "waitlist", "confirmed_on": "2026-06-15"}, message="the capacity and its date saved")
        w.sign_out()

        # ---- the pharmacist reads the feedback and the link ----
        w.sign_in("sato")
        b.wait(lambda: b.path().startswith("/referrals"))
        b.find("details summary").click()
        b.wait_text("カフェに参加することになりました")
        b.wait_text("つながるカフェ 只越 — 参加")
        w.page("referrals-feedback")
        # English on request: the page's words and the pathway's {ja, en} titles
        b.button("English").click()
        b.wait_text("My referrals")
        b.find("details summary").click()
        b.wait_text("Tsunagaru")
        expect("Linked" in b.text() and "紹介した人" not in b.text(), b.text()[:800])
        # organisations by their English names too
        expect("Kamaishi Community Support Centre" in b.text() and "釜石市地域包括支援センター" not in b.text(), b.text()[:800])
        w.page("referrals-en")
        b.button("日本語").click()
        b.wait_text("紹介した人")
        w.sign_out()
        # Back after signing out (a shared counter) brings no one's data back
        b.driver.back()
        b.wait(lambda: "next=" in b.driver.current_url, message="Back after sign-out asks to sign in again")
        expect("釜石 花子" not in b.text(), "the person's name is gone after sign-out and Back")

        # ---- checkup staff: a Shift_JIS file, the result, the letters ----
        path = os.path.join(d.tmp, "kenshin.csv")
        open(path, "wb").write(cp932(ROWS))
        w.enrol("watanabe")
        b.wait(lambda: b.path().startswith("/checkup"))
        b.find("#checkup-file").send_keys(path)
        b.button("取り込む").click()
        b.wait_text("取り込めなかった行")
        w.page("checkup")
        expect(re.search(r"6\s+(q13|birth_date|area)", b.text()) or "H-005" in b.text() or "birth_date" in b.text(), b.text()[:1500])
        b.button("お便りをまとめて印刷")
        letters = [c for c in b.all("#main li input[type=checkbox]")]
        expect(letters, "letters wait to be sent")
        b.button("お便りをまとめて印刷").click()
        b.wait(lambda: len(b.driver.window_handles) == 2)
        main_window = b.driver.current_window_handle
        b.driver.switch_to.window([h for h in b.driver.window_handles if h != main_window][0])
        b.wait_text("地域の活動・相談先のご案内")
        w.page("print-letters")
        pdf = b.pdf("letters")
        expect(Browser.pdf_pages(pdf) == len(letters), "one page per letter (%d pages for %d)" % (Browser.pdf_pages(pdf), len(letters)))
        expect(d.db_rows("SELECT count(*) FROM access_log WHERE what = 'case.print.letter'")[0][0] == len(letters), "each letter logged")
        b.driver.close()
        b.driver.switch_to.window(main_window)
        b.button("送付を記録").click()
        b.wait_text("該当するケースはありません")
        # on a tablet held upright
        b.driver.set_window_size(768, 1024)
        b.get("/checkup")
        w.page("checkup-tablet")
        w.only_the_daemon()
        expect(len(w.checked) >= 14, w.checked)
    finally:
        if w:
            w.b.close()
        d.cleanup()


def test_the_page_warns_before_the_idle_sign_out_and_the_warning_is_usable_by_keyboard():
    d = Daemon()
    w = None
    try:
        text = open(d.config, encoding="utf-8").read()
        open(d.config, "w", encoding="utf-8").write(re.sub(r"idle_minutes: \d+", "idle_minutes: 1", text))
        d.start()
        w = Walk(d)
        b = w.b
        w.enrol("sato")
        b.wait(lambda: b.path().startswith("/referrals"))
        b.wait_idle()
        # with one idle minute the warning is due at once: it takes the focus and says what to do
        b.wait_text("まもなくログアウトします")
        expect(len(b.all("[role=alertdialog]")) == 1, "one warning")
        expect(b.focused().text == "続ける", b.focused().text)
        w.page("idle-warning")
        mark = b.mark()
        b.keys(Keys.ENTER)
        b.wait(lambda: any(m.get("method") == "Network.requestWillBeSent" and
                           m["params"]["request"]["url"].endswith("/v1/me") and
                           "Tsunagu-Background" not in m["params"]["request"]["headers"]
                           for m in (b.requests() and b._perf[mark:])), message="continuing asks as a foreground request")
        expect(d.get("/v1/me", who="pharmacist").status == 200, "the daemon is fine")
    finally:
        if w:
            w.b.close()
        d.cleanup()
