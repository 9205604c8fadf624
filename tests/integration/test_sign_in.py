"""Signing in to the pages over HTTP: enrolment codes, passphrases, TOTP, sessions and their
ends, the anti-CSRF rules of cookie-authenticated writes, the limits on failed sign-ins, and the
API the pages need (me, colleagues, routing preview, the inbox's filters and due fields)."""
import base64
import hashlib
import hmac
import json
import re
import struct
import time

from daemon import Daemon
from helpers import expect, tsunagu

PASS = "umineko to kamome 2026"
CLOCK = "2026-06-01T10:00:00+09:00"   # a Monday


def totp(secret, unix):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", unix // 30), hashlib.sha1).digest()
    off = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7fffffff) % 1000000)


def cookie_of(reply):
    sc = reply.header("Set-Cookie") or ""
    m = re.match(r"tsunagu_session=([^;]*)", sc)
    return m.group(1) if m else None


class Person:
    """A browser's side of the exchange, by hand: the cookie, the CSRF token, our Origin."""

    def __init__(self, d):
        self.d, self.cookie, self.csrf = d, None, None

    def req(self, method, path, body=None, headers=None, csrf=True, origin=True):
        h = {}
        if self.cookie:
            h["Cookie"] = "tsunagu_session=" + self.cookie
        if method not in ("GET", "HEAD"):
            if csrf and self.csrf:
                h["X-CSRF-Token"] = self.csrf
            if origin:
                h["Origin"] = "http://127.0.0.1:%d" % self.d.port
        h.update(headers or {})
        r = self.d.request(method, path, body=body, headers=h)
        if cookie_of(r) is not None:
            self.cookie = cookie_of(r) or None
        if r.json and isinstance(r.json, dict) and isinstance(r.json.get("session"), dict):
            self.csrf = r.json["session"]["csrf_token"]
        return r

    def enrol(self, login, code, passphrase=PASS):
        return self.req("POST", "/v1/session/enrol", {"login": login, "code": code, "passphrase": passphrase})

    def sign_in(self, login, passphrase=PASS):
        return self.req("POST", "/v1/session", {"login": login, "passphrase": passphrase})


def now_of(d):
    return d.get("/v1/test/clock", who="coordinator").json["now"]


def advance(d, seconds):
    d.post("/v1/test/clock", {"advance_seconds": seconds}, who="coordinator")


def unix_of(d):
    from datetime import datetime
    return int(datetime.fromisoformat(now_of(d)).timestamp())


def test_enrolment_codes_passphrases_and_the_limits_on_trying():
    d = Daemon("\nallow_test_clock: true\n")
    text = open(d.config, encoding="utf-8").read()
    open(d.config, "w", encoding="utf-8").write(text.replace("trusted_proxies: []", "trusted_proxies: [127.0.0.1]"))
    try:
        d.start(test_clock=CLOCK)
        code = d.enrolment["sato"]
        p = Person(d)
        # a wrong code, a short passphrase: refused, nothing set
        r = p.enrol("sato", "AAAA-BBBB-CCCC-DDDD")
        expect(r.status == 401 and r.json["error"]["code"] == "enrolment_failed", r)
        r = p.enrol("sato", code, "short")
        expect(r.status == 422 and r.json["error"]["field"] == "passphrase", r)
        # the code as typed by a person: lower case, spaces
        r = p.enrol("sato", code.lower().replace("-", " "))
        expect(r.status == 201 and r.json["session"]["stage"] == "full", r)
        sc = r.header("Set-Cookie")
        expect("HttpOnly" in sc and "SameSite=Strict" in sc and "Path=/" in sc and "Secure" not in sc, sc)
        expect(r.header("Cache-Control") == "no-store", r.headers)
        me = p.req("GET", "/v1/me")
        expect(me.status == 200 and me.json["login"] == "sato" and me.json["session"]["stage"] == "full" and
               me.json["today"] == "2026-06-01" and any(m["pathway"] == "pharmacy" for m in me.json["may_open"]), me)
        # single use
        expect(Person(d).enrol("sato", code).status == 401, "an enrolment code works once")
        # stored as Argon2id, never as typed
        stored = d.db_rows("SELECT passphrase, enrol_hash FROM users WHERE login = 'sato'")[0]
        expect(stored[0].startswith("$argon2id$") and PASS not in stored[0] and stored[1] is None, stored)
        # sign-in: a wrong name and a wrong passphrase answer alike
        wrong_pass = Person(d).sign_in("sato", "not the passphrase")
        wrong_name = Person(d).sign_in("nobody-here", "not the passphrase")
        expect(wrong_pass.status == wrong_name.status == 401 and wrong_pass.json == wrong_name.json, (wrong_pass, wrong_name))
        ok = Person(d).sign_in("sato")
        expect(ok.status == 201 and cookie_of(ok), ok)
        # signing in again from the same browser ends the session it held
        held = p.cookie
        expect(p.sign_in("sato").status == 201 and p.cookie != held, "a new session id")
        stale = Person(d)
        stale.cookie = held
        expect(stale.req("GET", "/v1/me").status == 401, "the one before ended")
        # five failures for a name from an address, then 429 there even with the right passphrase
        for i in range(4):
            Person(d).sign_in("sato", "wrong %d passphrase" % i)
        limited = Person(d).sign_in("sato")
        expect(limited.status == 429 and limited.header("Retry-After"), limited)
        # ...but the person at another desk is not locked out by someone who only knows the name
        elsewhere = Person(d).req("POST", "/v1/session", {"login": "sato", "passphrase": PASS},
                                  headers={"X-Forwarded-For": "192.0.2.10"})
        expect(elsewhere.status == 201, elsewhere)
        d.err.seek(0)
        log = d.err.read()
        expect("a failed sign-in for 'sato'" in log and "not the passphrase" not in log and PASS not in log, log[-2000:])
        # an enrolment code expires after sign_in.enrolment_days (7)
        advance(d, 8 * 86400)
        late = Person(d).req("POST", "/v1/session/enrol", {"login": "suzuki", "code": d.enrolment["suzuki"],
                                                            "passphrase": PASS}, headers={"X-Forwarded-For": "192.0.2.20"})
        expect(late.status == 401 and late.json["error"]["code"] == "enrolment_failed", late)
    finally:
        d.cleanup()


def test_guesses_sent_at_once_are_limited_like_guesses_one_after_another():
    import threading
    d = Daemon("\nallow_test_clock: true\n")
    try:
        d.start(test_clock=CLOCK)
        expect(Person(d).enrol("sato", d.enrolment["sato"]).status == 201, "enrolled")
        statuses = []

        def guess(i):
            statuses.append(Person(d).sign_in("sato", "a wrong guess no %d" % i).status)
        threads = [threading.Thread(target=guess, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # each attempt is counted before its hash is checked: no more than the five the limit allows get checked
        expect(statuses.count(401) <= 5 and statuses.count(429) >= 7 and len(statuses) == 12, sorted(statuses))
    finally:
        d.cleanup()


def test_cookie_writes_need_our_origin_and_the_csrf_token():
    d = Daemon("\nallow_test_clock: true\n")
    try:
        d.start(test_clock=CLOCK)
        p = Person(d)
        expect(p.enrol("sato", d.enrolment["sato"]).status == 201, "enrolled")
        body = {"pathway": "pharmacy", "subject": {"name": "釜石 花子", "birth_date": "1948-03-02", "area": "unosumai"},
                "consent": {"obtained_by": "薬剤師 佐藤", "obtained_at": "2026-05-20", "method": "written",
                            "scope": "地域包括支援センター等への情報提供"}, "fields": {"concern": "isolation"}}
        r = p.req("POST", "/v1/cases", body, csrf=False)
        expect(r.status == 403 and r.json["error"]["code"] == "csrf_failed", r)
        r = p.req("POST", "/v1/cases", body, headers={"Origin": "http://evil.example"})
        expect(r.status == 403 and r.json["error"]["code"] == "csrf_failed", r)
        r = p.req("POST", "/v1/cases", body, origin=False)
        expect(r.status == 403, r)
        expect(d.db_rows("SELECT count(*) FROM cases")[0][0] == 0, "nothing was written")
        r = p.req("POST", "/v1/cases", body)
        expect(r.status == 201, r)
        # a token needs neither (an API client is not a browser)
        expect(d.get("/v1/cases/%s" % r.json["id"], who="pharmacist").status == 200, "token")
        # sign-out ends the session at once
        out = p.req("DELETE", "/v1/session")
        expect(out.status == 200 and "Max-Age=0" in out.header("Set-Cookie"), out)
        expect(p.req("GET", "/v1/me").status == 401, "signed out")
        s = p.req("GET", "/v1/session")
        expect(s.status == 200 and s.json == {"session": None, "user": None}, s)
    finally:
        d.cleanup()


def test_totp_for_nurses_new_session_ids_and_no_replay():
    d = Daemon("\nallow_test_clock: true\n")
    try:
        d.start(test_clock=CLOCK)
        p = Person(d)
        r = p.enrol("takahashi", d.enrolment["takahashi"])
        expect(r.status == 201 and r.json["session"]["stage"] == "totp" and r.json["totp_setup"]["uri"].startswith(
            "otpauth://totp/tsunagu:takahashi?secret="), r)
        secret = r.json["totp_setup"]["secret"]
        first = p.cookie
        # nothing but the second factor until it is passed
        g = p.req("GET", "/v1/cases")
        expect(g.status == 401 and g.json["error"]["code"] == "second_factor_required", g)
        bad = p.req("POST", "/v1/session/totp", {"code": "000000" if totp(secret, unix_of(d)) != "000000" else "111111"})
        expect(bad.status == 401 and bad.json["error"]["code"] == "totp_failed", bad)
        # left before a first code: the next sign-in shows the same key again, not a lock-out
        back = Person(d).sign_in("takahashi")
        expect(back.status == 201 and back.json["totp_setup"]["secret"] == secret, back)
        code = totp(secret, unix_of(d))
        ok = p.req("POST", "/v1/session/totp", {"code": code})
        expect(ok.status == 201 and ok.json["session"]["stage"] == "full" and "totp_setup" not in ok.json, ok)
        expect(p.cookie != first, "a new session id after the second factor")
        expect(p.req("GET", "/v1/cases?inbox=org").status == 200, "in")
        stale = Person(d)
        stale.cookie, stale.csrf = first, None
        expect(stale.req("GET", "/v1/me").status == 401, "the session before the second factor is spent")
        # the same code again (a second sign-in within its 30 s) is refused
        q = Person(d)
        r = q.sign_in("takahashi")
        expect(r.status == 201 and r.json["session"]["stage"] == "totp" and "totp_setup" not in r.json, r)
        again = q.req("POST", "/v1/session/totp", {"code": code})
        expect(again.status == 401 and again.json["error"]["code"] == "totp_failed", again)
        advance(d, 30)
        expect(q.req("POST", "/v1/session/totp", {"code": totp(secret, unix_of(d))}).status == 201, "the next code")
        # user totp sets a new secret and ends the sessions
        uid = d.db_rows("SELECT id FROM users WHERE login = 'takahashi'")[0][0]
        out = tsunagu("user", "totp", uid, "--config", d.config)
        expect(out.returncode == 0 and "otpauth://totp/tsunagu:takahashi?secret=" in out.stdout and "\u2588" in out.stdout, out.stdout)
        expect(q.req("GET", "/v1/me").status == 401, "ended by user totp")
    finally:
        d.cleanup()


def test_sessions_end_when_idle_at_their_absolute_end_and_by_the_operator():
    d = Daemon("\nallow_test_clock: true\n")
    try:
        d.start(test_clock=CLOCK)
        p = Person(d)
        expect(p.enrol("sato", d.enrolment["sato"]).status == 201, "enrolled")
        # background refreshes do not keep a session alive
        advance(d, 15 * 60)
        expect(p.req("GET", "/v1/cases", headers={"Tsunagu-Background": "1"}).status == 200, "background")
        advance(d, 6 * 60)
        r = p.req("GET", "/v1/me")
        expect(r.status == 401 and r.json["error"]["code"] == "session_ended" and "Max-Age=0" in r.header("Set-Cookie"), r)
        # use does
        p = Person(d)
        expect(p.sign_in("sato").status == 201, "again")
        for _ in range(3):
            advance(d, 15 * 60)
            expect(p.req("GET", "/v1/me").status == 200, "in use")
        # but not past the absolute end (8 hours)
        for _ in range(30):
            advance(d, 15 * 60)
            if p.req("GET", "/v1/me").status == 401:
                break
        expect(p.req("GET", "/v1/me").status == 401, "ended at its absolute end")
    finally:
        d.cleanup()


def test_the_operator_lists_and_ends_sessions_and_revoke_and_reissue_end_them_too():
    d = Daemon()   # the real clock: the command line reads it too
    try:
        d.start()
        expect(Person(d).enrol("sato", d.enrolment["sato"]).status == 201, "enrolled")
        a, b = Person(d), Person(d)
        a.sign_in("sato")
        b.sign_in("sato")
        uid = d.db_rows("SELECT id FROM users WHERE login = 'sato'")[0][0]
        listed = tsunagu("user", "sessions", uid, "--config", d.config)
        ids = re.findall(r"^(s_\w+)\tfull", listed.stdout, re.M)
        expect(listed.returncode == 0 and len(ids) == 3, listed.stdout)   # the enrolment's, a's and b's
        ended = tsunagu("user", "sessions", uid, "--end", ids[1], "--config", d.config)
        expect(ended.returncode == 0, ended.stdout + ended.stderr)
        alive = [x.req("GET", "/v1/me").status for x in (a, b)]
        expect(alive == [401, 200], alive)
        expect(tsunagu("user", "sessions", uid, "--end", ids[1], "--config", d.config).returncode == 2, "ended already")
        re_out = tsunagu("user", "reissue", uid, "--config", d.config)
        code = re.search(r"([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})", re_out.stdout)
        expect(re_out.returncode == 0 and code, re_out.stdout)
        expect([x.req("GET", "/v1/me").status for x in (a, b)] == [401, 401], "reissue ended every session")
        expect(Person(d).sign_in("sato").status == 401, "the passphrase was reset")
        expect(Person(d).enrol("sato", d.enrolment["sato"]).status == 401, "the code before is void")
        c = Person(d)
        expect(c.enrol("sato", code.group(1)).status == 201, "the new code works")
        tsunagu("user", "revoke", uid, "--config", d.config)
        expect(c.req("GET", "/v1/me").status == 401, "revoke ends the sessions")
        # an API user given a login later keeps its token
        added = tsunagu("user", "add", "--config", d.config, "--org", "support-centre", "--role", "nurse", "--name", "保健師 新人")
        token = added.stdout.strip().splitlines()[-1]
        new_uid = re.search(r"user (u_\w+)", added.stdout).group(1)
        given = tsunagu("user", "login", new_uid, "shinjin", "--config", d.config)
        code = re.search(r"([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})", given.stdout)
        expect(given.returncode == 0 and code and "tokens are unchanged" in given.stdout, given.stdout + given.stderr)
        expect(d.get("/v1/me", token=token).status == 200, "the token still works")
        expect(Person(d).enrol("shinjin", code.group(1)).status == 201, "and the person enrols")
        taken = tsunagu("user", "login", new_uid, "takahashi", "--config", d.config)
        expect(taken.returncode == 2 and "taken" in taken.stderr, taken.stderr)
    finally:
        d.cleanup()


def test_the_api_the_pages_need():
    d = Daemon("\nallow_test_clock: true\n")
    try:
        d.start(test_clock=CLOCK)
        me = d.get("/v1/me", who="nurse").json
        expect(me["org"]["id"] == "support-centre" and me["session"] is None and me["roles"] == ["nurse"], me)
        users = d.get("/v1/orgs/support-centre/users", who="nurse")
        names = [u["name"] for u in users.json["items"]]
        expect(users.status == 200 and "保健師 高橋" in names and "保健師 田中" in names and "薬剤師 佐藤" not in names, users)
        expect(d.get("/v1/orgs/pharmacy-hamayuri/users", who="nurse").status == 404, "not another organisation's")
        route = d.get("/v1/pathways/pharmacy/routing?area=unosumai", who="pharmacist").json
        expect(route["receiver"]["id"] == "support-centre" and route["routed_by"] == "area" and
               {o["id"] for o in route["may_choose"]} >= {"support-centre", "life-unosumai"}, route)
        triage = d.get("/v1/pathways/multi-agency/routing?area=unosumai", who="welfare").json
        expect(triage["routed_by"] == "area" and triage["receiver"]["id"] == "support-centre", triage)
        expect(d.get("/v1/pathways/pharmacy/routing?area=atlantis", who="pharmacist").status == 422, "unknown area")
        ids = []
        for i, area in enumerate(["unosumai", "kasshi", "unosumai"]):
            r = d.post("/v1/cases", {"pathway": "pharmacy", "subject": {"name": "人%d" % i, "birth_date": "1948-03-02", "area": area},
                                     "consent": {"obtained_by": "佐藤", "obtained_at": "2026-05-20", "method": "written",
                                                 "scope": "地域包括支援センター等への情報提供"},
                                     "fields": {"concern": "isolation"}}, who="pharmacist" if i < 2 else "pharmacist2")
            expect(r.status == 201 and r.json["next_due_at"] and r.json["overdue"] is False and r.json["due_business_days"] == 2, r)
            ids.append(r.json["id"])
            advance(d, 3600)
        # the nurse accepts the first: its due moves to the next state's timer
        r = d.post("/v1/cases/%s/actions/accept" % ids[0], {}, who="nurse")
        expect(r.status == 200 and r.json["due_business_days"] == 5, r)
        advance(d, 3 * 86400)   # Thursday: the unaccepted ones are past their two business days
        lst = d.get("/v1/cases?inbox=org&sort=due&open=true", who="nurse").json["items"]
        expect([c["id"] for c in lst][:2] == ids[1:] and all(c["overdue"] for c in lst[:2]) and lst[0]["due_business_days"] < 0
               and lst[0]["receiver_name"], lst)
        over = d.get("/v1/cases?overdue=true", who="nurse").json["items"]
        expect(sorted(c["id"] for c in over) == sorted(ids[1:]), over)
        expect([c["id"] for c in d.get("/v1/cases?overdue=false", who="nurse").json["items"]] == [ids[0]], "not overdue")
        expect([c["id"] for c in d.get("/v1/cases?area=kasshi", who="nurse").json["items"]] == [ids[1]], "area")
        expect([c["id"] for c in d.get("/v1/cases?origin=pharmacy-minato", who="nurse").json["items"]] == [ids[2]], "origin")
        expect([c["id"] for c in d.get("/v1/cases?assignee=me", who="nurse").json["items"]] == [ids[0]], "assignee")
        page = d.get("/v1/cases?sort=due&limit=1", who="nurse").json
        nxt = d.get("/v1/cases?sort=due&limit=1&cursor=" + page["next_cursor"], who="nurse").json
        expect(page["items"][0]["id"] != nxt["items"][0]["id"], "pages of the sort by due join up")
        expect(d.get("/v1/cases?sort=sideways", who="nurse").status == 422 and
               d.get("/v1/cases?overdue=maybe", who="nurse").status == 422, "bad filters")
        # a pharmacy sees only its own, whatever the filter
        expect([c["id"] for c in d.get("/v1/cases?overdue=true", who="pharmacist").json["items"]] == [ids[1]], "own only")
        # printing a document with the person's details is an access-log row
        r = d.post("/v1/cases/%s/printed" % ids[0], {"document": "consent_form"}, who="pharmacist")
        expect(r.status == 200, r)
        expect(d.db_rows("SELECT count(*) FROM access_log WHERE what = 'case.print.consent_form' AND case_id = ?",
                         (ids[0],))[0][0] == 1, "logged")
        expect(d.post("/v1/cases/%s/printed" % ids[0], {"document": "consent_form"}, who="pharmacist2").status == 404,
               "another pharmacy's case is not there")
        expect(d.post("/v1/cases/%s/printed" % ids[0], {"document": "poster"}, who="pharmacist").status == 422, "kind")
    finally:
        d.cleanup()


def test_the_pages_are_served_with_their_policy():
    d = Daemon()
    try:
        d.start()
        for path in ("/", "/login", "/inbox", "/cases/c_anything", "/refer", "/referrals", "/provider", "/checkup",
                     "/resources", "/print/slip"):
            r = d.get(path)
            expect(r.status == 200 and r.header("Content-Type") == "text/html; charset=utf-8" and
                   "/assets/app.js" in r.text, (path, r))
            csp = r.header("Content-Security-Policy")
            expect("default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp, csp)
            expect(r.header("Referrer-Policy") == "no-referrer" and r.header("X-Content-Type-Options") == "nosniff", r.headers)
            expect("<script>" not in r.text and "style=" not in r.text, "no inline script or style")
            # the document a signed-in page is drawn in is never kept (Back after signing out)
            expect(r.header("Cache-Control") == "no-store", (path, r.headers))
        js = d.get("/assets/app.js")
        expect(js.status == 200 and js.header("Content-Type").startswith("text/javascript") and js.header("ETag") and
               js.header("Cache-Control") == "no-cache", js.headers)
        again = d.get("/assets/app.js", headers={"If-None-Match": js.header("ETag")})
        expect(again.status == 304 and not again.raw, again)
        # what is not a page stays the API's 404
        for path in ("/nothing-here", "/assets/nothing.js", "/v1/nothing", "/assets/../index.html"):
            r = d.get(path)
            expect(r.status in (400, 404) and r.json and r.json["error"]["code"] in ("not_found", "invalid_path"), (path, r))
        api = d.get("/v1/orgs", who="nurse")
        expect(api.header("Cache-Control") == "no-store" and "frame-ancestors 'none'" in api.header("Content-Security-Policy"), api.headers)
        expect(d.post("/assets/app.js").status == 405, "pages are read only")
        # a notification's link leads to the case page of this daemon (public_url follows the listen address)
        import os
        import time
        cid = d.post("/v1/cases", {"pathway": "pharmacy", "subject": {"name": "リンク 確認", "birth_date": "1948-03-02",
                                                                     "area": "unosumai"},
                                   "consent": {"obtained_by": "佐藤", "obtained_at": "2026-05-20", "method": "written",
                                               "scope": "地域包括支援センター等への情報提供"},
                                   "fields": {"concern": "isolation"}}, who="pharmacist").json["id"]
        link = "http://127.0.0.1:%d/cases/%s" % (d.port, cid)
        deadline = time.time() + 10
        while time.time() < deadline and not (os.path.exists(d.jsonl) and link in open(d.jsonl, encoding="utf-8").read()):
            time.sleep(0.1)
        expect(link in open(d.jsonl, encoding="utf-8").read(), "the link in the notification")
        expect(d.get("/cases/%s" % cid).status == 200, "answers the page, not a JSON 404")
    finally:
        d.cleanup()


def test_the_routing_preview_says_how_soon_the_receiver_usually_accepts():
    d = Daemon("\nallow_test_clock: true\n")
    try:
        d.start(test_clock=CLOCK)
        first = d.get("/v1/pathways/pharmacy/routing?area=unosumai", who="pharmacist").json
        expect(first["receiver"]["usually_accepts_within_business_days"] is None, "nothing to say yet")
        ids = []
        for i in range(6):
            r = d.post("/v1/cases", {"pathway": "pharmacy", "subject": {"name": "人%d" % i, "birth_date": "1948-03-02",
                                                                       "area": "unosumai"},
                                     "consent": {"obtained_by": "佐藤", "obtained_at": "2026-05-20", "method": "written",
                                                 "scope": "地域包括支援センター等への情報提供"},
                                     "fields": {"concern": "isolation"}}, who="pharmacist")
            ids.append(r.json["id"])
        advance(d, 86400)           # Tuesday: one business day later
        for cid in ids[:5]:
            expect(d.post("/v1/cases/%s/actions/accept" % cid, {}, who="nurse").status == 200, "accepted")
        expect(d.get("/v1/pathways/pharmacy/routing?area=unosumai", who="pharmacist").json["receiver"]
               ["usually_accepts_within_business_days"] == 1, "five accepted after one business day")
        advance(d, 4 * 86400)       # the following Monday: four business days after the opening
        d.post("/v1/cases/%s/actions/accept" % ids[5], {}, who="nurse")
        route = d.get("/v1/pathways/pharmacy/routing?area=unosumai", who="pharmacist").json
        expect(route["receiver"]["usually_accepts_within_business_days"] == 1, route)   # the median, not the mean
        other = [o for o in route["may_choose"] if o["id"] == "life-unosumai"][0]
        expect(other["usually_accepts_within_business_days"] is None, other)
    finally:
        d.cleanup()
