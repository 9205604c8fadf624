"""Bad input, other organisations' cases, and kill -9: the daemon answers every
malformed request with its JSON error and changes nothing, leaks nothing across
organisations, and loses nothing it acknowledged."""
import json
import random
import re
import threading
import time

from daemon import Daemon, consent, pharmacy_referral
from helpers import expect, tsunagu
from test_privacy import linked_case

ERROR_KEYS = {"code", "message", "message_ja", "field"}


def parse_raw(data):
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.") else 0
    return status, head.decode("latin-1"), body


def check_error(status, body, want_status, want_code=None, want_field=None, label=""):
    expect(400 <= status < 500, "%s: status %d" % (label, status))
    if want_status:
        expect(status == want_status, "%s: status %d, expected %d: %r" % (label, status, want_status, body))
    doc = json.loads(body)
    expect(set(doc) == {"error"} and set(doc["error"]) == ERROR_KEYS, "%s: shape %r" % (label, doc))
    e = doc["error"]
    expect(e["message"] and e["message_ja"] and re.match(r"^[a-z_]+$", e["code"]), "%s: %r" % (label, e))
    if want_code:
        expect(e["code"] == want_code, "%s: code %s, expected %s" % (label, e["code"], want_code))
    if want_field is not None:
        expect(e["field"] == want_field, "%s: field %r, expected %r" % (label, e["field"], want_field))


def test_catalogue_of_malformed_requests():
    with Daemon() as d:
        cid = d.post("/v1/cases", pharmacy_referral(), who="pharmacist").json["id"]
        ph = d.tokens["pharmacist"]
        before = d.db_snapshot()
        good = pharmacy_referral()

        def variant(path, value):
            body = json.loads(json.dumps(good))
            target = body
            keys = path.split(".")
            for k in keys[:-1]:
                target = target[k]
            if value is KeyError:
                del target[keys[-1]]
            else:
                target[keys[-1]] = value
            return body

        json_cases = [
            # (label, raw body or dict, status, code, field)
            ("syntax", b'{"pathway": "pharmacy",', 400, "invalid_json", None),
            ("array", b"[1,2,3]", 422, "invalid_json", None),
            ("string", b'"pharmacy"', 422, "invalid_json", None),
            ("trailing garbage", b'{"pathway":"pharmacy"} xyz', 400, "invalid_json", None),
            ("duplicate key", b'{"pathway":"pharmacy","pathway":"multi-agency"}', 400, "invalid_json", None),
            ("deep nesting", b'{"a":' * 100 + b"1" + b"}" * 100, 400, "invalid_json", None),
            ("invalid utf-8", b'{"pathway":"\xff\xfe"}', 400, "invalid_json", None),
            ("NUL escape", json.dumps(variant("subject.name", "a\u0000b")).encode(), 400, "invalid_json", None),
            ("empty body", b"", 400, "invalid_json", None),
            ("missing pathway", variant("pathway", KeyError), 422, "missing_field", "pathway"),
            ("unknown pathway", variant("pathway", "nope"), 422, "invalid_field", "pathway"),
            ("pathway number", variant("pathway", 7), 422, "invalid_field", "pathway"),
            ("missing subject", variant("subject", KeyError), 422, "missing_field", "subject"),
            ("subject not object", variant("subject", "x"), 422, "missing_field", "subject"),
            ("name number", variant("subject.name", 42), 422, "invalid_field", "subject.name"),
            ("name empty", variant("subject.name", ""), 422, "invalid_field", "subject.name"),
            ("name huge", variant("subject.name", "長" * 5000), 422, "invalid_field", "subject.name"),
            ("name control", variant("subject.name", "a\u0007b"), 422, "invalid_field", "subject.name"),
            ("birth date", variant("subject.birth_date", "1948-02-30"), 422, "invalid_field", "subject.birth_date"),
            ("birth future", variant("subject.birth_date", "2099-01-01"), 422, "invalid_field", "subject.birth_date"),
            ("birth missing", variant("subject.birth_date", KeyError), 422, "missing_field", "subject.birth_date"),
            ("area unknown", variant("subject.area", "atlantis"), 422, "invalid_field", "subject.area"),
            ("sex unknown", variant("subject.sex", "x"), 422, "invalid_field", "subject.sex"),
            ("phone letters", variant("subject.phone", "call me"), 422, "invalid_field", "subject.phone"),
            ("subject extra", variant("subject.hobby", "碁"), 422, "unknown_field", "subject.hobby"),
            ("consent missing", variant("consent", KeyError), 422, "missing_field", "consent"),
            ("consent method", variant("consent.method", "telepathy"), 422, "invalid_field", "consent.method"),
            ("consent scope", variant("consent.scope", KeyError), 422, "missing_field", "consent.scope"),
            ("consent extra", variant("consent.witness", "x"), 422, "unknown_field", "consent.witness"),
            ("fields enum", variant("fields.concern", "boredom"), 422, "invalid_field", "fields.concern"),
            ("fields missing", variant("fields", {}), 422, "missing_field", "fields.concern"),
            ("fields extra", variant("fields.outcome", "linked"), 422, "unknown_field", "fields.outcome"),
            ("fields array", variant("fields", []), 422, "invalid_field", "fields"),
            ("top extra", variant("colour", "red"), 422, "unknown_field", "colour"),
            ("receiver kind", variant("receiver", "pharmacy-minato"), 422, "invalid_field", "receiver"),
            ("receiver unknown", variant("receiver", "nobody"), 422, "invalid_field", "receiver"),
        ]
        for label, body, status, code, field in json_cases:
            raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode("utf-8")
            r = d.request("POST", "/v1/cases", raw_body=raw, token=ph, headers={"Content-Type": "application/json"})
            check_error(r.status, r.raw, status, code, field, label)
        # the message says what is wrong with the text, not which flag of the JSON library refused it
        r = d.request("POST", "/v1/cases", raw_body=json.dumps(variant("subject.name", "a\u0000b")).encode(),
                      token=ph, headers={"Content-Type": "application/json"})
        expect("JSON_ALLOW_NUL" not in r.text and "NUL" in r.json["error"]["message"], r)
        r = d.request("POST", "/v1/cases", raw_body=json.dumps(good).encode(), token=ph,
                      headers={"Content-Type": "text/plain"})
        check_error(r.status, r.raw, 415, "unsupported_media_type", None, "content type")
        r = d.request("POST", "/v1/cases", raw_body=json.dumps(good).encode(), token=ph)
        check_error(r.status, r.raw, 415, "unsupported_media_type", None, "no content type")
        r = d.request("POST", "/v1/cases", raw_body=b"{" + b" " * (2 << 20) + b"}", token=ph,
                      headers={"Content-Type": "application/json"})
        check_error(r.status, r.raw, 413, "payload_too_large", None, "huge body")
        r = d.post("/v1/cases", good, who="pharmacist", headers={"Idempotency-Key": "k" * 300})
        check_error(r.status, r.raw, 422, "invalid_field", "Idempotency-Key", "long idempotency key")

        act = "/v1/cases/%s/actions/" % cid
        nu = d.tokens["nurse"]
        co = d.tokens["coordinator"]
        others = [
            ("unknown action", "POST", act + "fly", nu, {}, 404, "unknown_action", "action"),
            ("not available", "POST", act + "close", nu, {"fields": {"outcome": "linked"}}, 409, "action_not_available", "action"),
            ("wrong role", "POST", act + "accept", ph, {}, 403, "forbidden", "action"),
            ("fields not object", "POST", act + "redirect", nu, {"fields": "x"}, 422, "invalid_field", "fields"),
            ("action missing field", "POST", act + "redirect", nu, {"fields": {"reason": "x"}}, 422, "missing_field", "fields.receiver"),
            ("action extra key", "POST", act + "accept", nu, {"feilds": {}}, 422, "unknown_field", "feilds"),
            ("unknown case", "GET", "/v1/cases/c_doesnotexist0000000", nu, None, 404, "not_found", None),
            ("unknown path", "GET", "/v1/nothing", nu, None, 404, "not_found", None),
            ("trailing slash", "GET", "/v1/cases/", nu, None, 404, "not_found", None),
            ("method", "DELETE", "/v1/cases", nu, None, 405, "method_not_allowed", None),
            ("encoded slash", "GET", "/v1/cases/a%2Fb", nu, None, 400, "invalid_path", None),
            ("encoded NUL", "GET", "/v1/cases/a%00b", nu, None, 400, "invalid_path", None),
            ("dot dot", "GET", "/v1/cases/../orgs", nu, None, 400, "invalid_path", None),
            ("encoded dot dot", "GET", "/v1/cases/%2e%2e", nu, None, 400, "invalid_path", None),
            ("bad utf-8 path", "GET", "/v1/cases/%ff%fe", nu, None, 400, "invalid_path", None),
            ("limit", "GET", "/v1/cases?limit=99999", nu, None, 422, "invalid_field", "limit"),
            # a mistyped parameter is refused wherever one is read, never quietly ignored
            ("typo in notifications", "GET", "/v1/notifications?stauts=dead", co, None, 422, "unknown_field", "stauts"),
            ("typo in a report", "GET", "/v1/reports/durations?form=2026-01-01", co, None, 422, "unknown_field", "form"),
            ("typo in the graph", "GET", "/v1/pathways/pharmacy/graph?fromat=svg", nu, None, 422, "unknown_field", "fromat"),
            ("typo in an export", "GET", "/v1/subjects/s_x/export?fromat=text", co, None, 422, "unknown_field", "fromat"),
            ("no token", "GET", "/v1/cases", None, None, 401, "unauthorized", None),
            ("forged token", "GET", "/v1/cases", "tsu_" + "A" * 32, None, 401, "unauthorized", None),
            ("empty bearer", "GET", "/v1/cases", "", None, 401, "unauthorized", None),
        ]
        for label, method, path, token, body, status, code, field in others:
            raw = json.dumps(body).encode() if body is not None else None
            headers = {"Content-Type": "application/json"} if body is not None else {}
            r = d.request(method, path, raw_body=raw, token=token, headers=headers)
            check_error(r.status, r.raw, status, code, field, label)
        r = d.request("GET", "/v1/cases", headers={"Authorization": "Basic dXNlcjpwYXNz"})
        check_error(r.status, r.raw, 401, "unauthorized", None, "basic auth")
        expect(r.header("WWW-Authenticate") == 'Bearer realm="tsunagu"', r.headers)
        r = d.post(act + "accept", {}, who="nurse", headers={"If-Match": "garbage"})
        check_error(r.status, r.raw, 412, "precondition_failed", "If-Match", "garbage If-Match")

        # evhttp's own parser refuses both framings at once before tsunagu sees the
        # request: a plain 400, and the connection closed so nothing can be smuggled.
        got, head, body = parse_raw(d.raw(
            b"POST /v1/cases HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"
            b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" % ph.encode()))
        expect(got == 400 and "Connection: close" in head, "CL and TE: %d %s" % (got, head))
        raw_cases = [
            ("TE gzip", b"POST /v1/cases HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"
             b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" % ph.encode(), 400, "invalid_framing"),
            ("two lengths", b"POST /v1/cases HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"
             b"Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}" % ph.encode(), 400, "invalid_framing"),
            ("huge header", b"GET /v1/cases HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n", 431,
             "headers_too_large"),
        ]
        for label, data, status, code in raw_cases:
            got, head, body = parse_raw(d.raw(data))
            check_error(got, body, status, code, None, label)
            expect("Connection: close" in head, "%s: the connection is closed after a framing refusal" % label)

        expect(d.get("/healthz").status == 200, "the daemon is still up")
        after = d.db_snapshot()
        expect(after == before, "the database is unchanged:\n%r\n%r" % (before, after))


def test_spec_error_example_exactly():
    with Daemon() as d:
        body = pharmacy_referral()
        body["subject"]["birth_date"] = "1948/03/02"
        r = d.post("/v1/cases", body, who="pharmacist")
        expect(r.status == 422, r)
        expect(r.json == {"error": {"code": "invalid_field",
                                    "message": "subject.birth_date must be a date (YYYY-MM-DD)",
                                    "message_ja": "subject.birth_date は日付（YYYY-MM-DD）で指定してください",
                                    "field": "subject.birth_date"}}, r.json)
        expect(r.header("Content-Type").startswith("application/json"), r.headers)


ACTIONS = ["accept", "redirect", "withdraw", "withdraw_consent", "escalate", "close", "assign_receiver",
           "record_contact", "letter_sent", "no_such_action"]


NO_CASE, NO_LINK = "c_00000000000000000000", "l_00000000000000000000"


def case_calls(case, link=NO_LINK):
    """Every request on one case: to a stranger each answers as it does for a case that does not exist."""
    calls = [("GET", "/v1/cases/%s" % case, None), ("GET", "/v1/cases/%s/events" % case, None),
             ("GET", "/v1/cases/%s/notes" % case, None),
             ("POST", "/v1/cases/%s/notes" % case, {"text": "x"}),
             ("POST", "/v1/cases/%s/assign" % case, {"user": None}),
             ("PATCH", "/v1/cases/%s/subject" % case, {"phone": "1"}),
             ("GET", "/v1/cases/%s/links" % case, None),
             ("POST", "/v1/cases/%s/links" % case, {"resource": "demo-cafe-unosumai"}),
             ("PATCH", "/v1/cases/%s/links/%s" % (case, link), {"status": "ended"}),
             ("GET", "/v1/subjects/%s/export" % case, None),
             ("GET", "/v1/subjects/%s/export?format=text" % case, None)]
    return calls + [("POST", "/v1/cases/%s/actions/%s" % (case, a), {"fields": {"reason": "x"}}) for a in ACTIONS]


def test_a_provider_sees_nothing_anywhere_once_the_need_ends():
    """The café's access ends when the case closes and at once when consent is withdrawn: every
    endpoint answers the stranger's 404, and its lists and reports carry no personal data."""
    with Daemon() as d:
        ended = []
        for how in ("close", "withdraw_consent"):
            name = "終了 %s" % how
            cid, link = linked_case(d, name)
            expect(d.get("/v1/cases/" + cid, who="cafe").status == 200, "while linked the café stands on the case")
            if how == "close":
                r = d.post("/v1/cases/%s/actions/close" % cid, {"fields": {"outcome": "linked"}}, who="nurse")
            else:
                r = d.post("/v1/cases/%s/actions/withdraw_consent" % cid, {"fields": {"reason": "本人の申し出"}},
                           who="pharmacist")
            expect(r.status == 200, r)
            ended.append((cid, link["id"], name))
        for cid, link_id, name in ended:
            for (method, path, body), (_, nowhere, _) in zip(case_calls(cid, link_id), case_calls(NO_CASE)):
                r, missing = d.request(method, path, body, who="cafe"), d.request(method, nowhere, body, who="cafe")
                expect(r.status == 404 and r.text == missing.text, "%s %s by the café: %r" % (method, path, r))
            for path in ("/v1/cases?limit=500", "/v1/links", "/v1/resources", "/v1/reports/resources",
                         "/v1/notifications", "/v1/audit/access", "/v1/audit/provisions"):
                r = d.get(path, who="cafe")
                expect(name not in r.text and "カマイシ" not in r.text, "%s shows the person: %s" % (path, r.text[:300]))
            expect(cid not in d.get("/v1/cases?limit=500", who="cafe").text, "the café lists %s" % cid)


def test_no_case_leaks_across_organisations():
    with Daemon() as d:
        ph_case = d.post("/v1/cases", pharmacy_referral(name="薬局 秘密"), who="pharmacist").json["id"]
        hc = {"pathway": "health-checkup",
              "subject": {"name": "健診 秘密", "birth_date": "1940-01-01", "area": "unosumai"},
              "fields": {"checkup_date": "2026-06-10", "person_id": "H-9", "q13": "いいえ"}}
        hc_case = d.post("/v1/cases", hc, who="checkup").json["id"]
        ma = pharmacy_referral(name="多機関 秘密", pathway="multi-agency")
        ma["consent"] = consent("社協 中村")
        ma_case = d.post("/v1/cases", ma, who="welfare").json["id"]
        parties = {
            ph_case: {"pharmacist", "nurse", "nurse2", "coordinator"},
            hc_case: {"checkup", "life_nurse", "coordinator"},
            ma_case: {"welfare", "nurse", "nurse2", "coordinator"},   # the support centre triages
        }
        secrets = ["薬局 秘密", "健診 秘密", "多機関 秘密", "H-9"]
        requests = 0
        for case, allowed in parties.items():
            for who in d.tokens:
                if who in allowed:
                    continue
                for (method, path, body), (_, nowhere, _) in zip(case_calls(case), case_calls(NO_CASE)):
                    r, missing = d.request(method, path, body, who=who), d.request(method, nowhere, body, who=who)
                    requests += 1
                    expect(r.status == 404 and r.text == missing.text,
                           "%s %s by %s: %r" % (method, path, who, r))
                listing = d.get("/v1/cases?limit=500", who=who).text
                expect(case not in listing, "%s lists %s" % (who, case))
        # the coordinator sees metadata everywhere: no pathway gives it a step with the person (the triage is
        # the support centre's)
        for case in (ph_case, hc_case, ma_case):
            r = d.get("/v1/cases/" + case, who="coordinator")
            expect(r.status == 200 and not any(s in r.text for s in secrets), r)
            r = d.get("/v1/cases/%s/events" % case, who="coordinator")
            expect(r.status == 200 and not any(s in r.text for s in secrets) and '"data"' not in r.text, r)
            r = d.get("/v1/cases/%s/notes" % case, who="coordinator")
            expect(r.status == 403, r)
        listing = d.get("/v1/cases?limit=500", who="coordinator").text
        expect("薬局 秘密" not in listing and "健診 秘密" not in listing and "多機関 秘密" not in listing, listing)
        expect(requests >= 250, requests)


def test_kill_9_loses_nothing_acknowledged():
    d = Daemon()
    try:
        d.start()
        acked = {}          # case id -> highest acknowledged version
        lock = threading.Lock()
        rng = random.Random(20261124)
        for round_no in range(20):
            stop = threading.Event()

            def client(n):
                while not stop.is_set():
                    try:
                        r = d.post("/v1/cases", pharmacy_referral(name="人%d" % n), who="pharmacist")
                        if r.status == 201:
                            with lock:
                                acked[r.json["id"]] = 1
                            r2 = d.post("/v1/cases/%s/actions/accept" % r.json["id"], {}, who="nurse")
                            if r2.status == 200:
                                with lock:
                                    acked[r.json["id"]] = r2.json["version"]
                    except (OSError, ValueError, KeyError, TypeError):
                        pass

            threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.05, 0.35))
            d.kill9()
            stop.set()
            for t in threads:
                t.join()
            d.start(demo_tokens=round_no % 5 == 4)
            if round_no % 5 == 4:
                pass
            rows = dict(d.db_rows("SELECT id, version FROM cases"))
            lost = [(c, v) for c, v in acked.items() if rows.get(c, 0) < v]
            expect(not lost, "round %d lost acknowledged actions: %r" % (round_no, lost[:5]))
            half = d.db_rows("SELECT c.id FROM cases c WHERE NOT EXISTS (SELECT 1 FROM events e "
                             "WHERE e.case_id = c.id AND e.case_version = c.version)")
            expect(not half, "a case without the event of its version: %r" % half[:5])
        expect(len(acked) > 20, "the clients got answers: %d" % len(acked))
        expect(d.db_rows("PRAGMA integrity_check") == [("ok",)], "integrity")
        proc = tsunagu("audit", "verify", "--db", d.db)
        expect(proc.returncode == 0, proc.stdout + proc.stderr)
    finally:
        d.cleanup()


def test_disk_full_answers_503_and_acknowledges_nothing():
    import os
    import subprocess
    import tempfile
    mnt = tempfile.mkdtemp(prefix="tsunagu-full-")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mnt],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    expect(mounted.returncode == 0, "this test needs root to mount a small tmpfs: " + mounted.stdout)
    d = Daemon(db=os.path.join(mnt, "tsunagu.db"))
    try:
        d.start()
        created, refused = [], 0
        for i in range(3000):
            r = d.post("/v1/cases", pharmacy_referral(name="人%d" % i, fields={"concern": "isolation",
                                                                               "referral_note": "x" * 1500}),
                       who="pharmacist")
            if r.status == 201:
                created.append(r.json["id"])
            else:
                expect(r.status == 503 and r.json["error"]["code"] == "storage_unavailable", r)
                refused += 1
                if refused >= 3:
                    break
        expect(refused >= 3 and created, "the disk filled up (%d created, %d refused)" % (len(created), refused))
        expect(d.get("/healthz").status in (200, 503), "the daemon still answers")
        # the refusals are in the metrics: the 503s by route, and the group commits that failed
        metrics = d.get("/metrics", check_contract=False).text
        m = re.search(r'^tsunagu_http_requests_total\{route="/v1/cases",method="POST",status="503"\} (\d+)$', metrics,
                      re.M)
        expect(m and int(m.group(1)) >= refused, metrics[:2000])
        m = re.search(r"^tsunagu_commits_failed_total (\d+)$", metrics, re.M)
        expect(m and int(m.group(1)) >= 1, "a failed commit is counted: " + (m.group(0) if m else metrics[:2000]))
        d.stop()
        rows = {c for (c,) in d.db_rows("SELECT id FROM cases")}
        expect(set(created) <= rows, "every acknowledged case is on disk")
        expect(len(rows) == len(created), "nothing refused was stored: %d rows, %d acknowledged" % (
            len(rows), len(created)))
        expect(d.db_rows("PRAGMA integrity_check") == [("ok",)], "integrity")
    finally:
        d.cleanup()
        subprocess.run(["umount", mnt])
        os.rmdir(mnt)


def test_the_write_ahead_log_starts_over_under_steady_writes():
    # Under writes that never pause, a checkpoint beside the loop never catches up with the WAL: the
    # loop copies what was written meanwhile, so the WAL is copied whole and the next commit starts it over
    # (without that it only grows: 336 MB after 13 s of the benchmark's load).
    d = Daemon()
    try:
        d.start()
        stop = threading.Event()
        opened = [0]

        def client(n):
            while not stop.is_set():
                r = d.post("/v1/cases", pharmacy_referral(name="人%d" % n), who="pharmacist")
                expect(r.status == 201, r)
                opened[0] += 1

        threads = [threading.Thread(target=client, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        deadline = time.time() + 20
        restarts = 0
        while time.time() < deadline and restarts < 2:
            time.sleep(0.5)
            metrics = d.get("/metrics", check_contract=False).text
            m = re.search(r"^tsunagu_database_wal_restarts_total (\d+)$", metrics, re.M)
            expect(m, metrics[:2000])
            restarts = int(m.group(1))
        stop.set()
        for t in threads:
            t.join()
        expect(restarts >= 2, "the WAL started over %d times in %d openings" % (restarts, opened[0]))
        d.stop()
        expect(d.db_rows("PRAGMA integrity_check") == [("ok",)], "integrity")
        expect(d.db_rows("SELECT count(*) FROM cases")[0][0] >= opened[0], "every opening is on disk")
    finally:
        d.cleanup()


def test_nothing_leaves_before_the_disk_has_it():
    # With each flush of the disk made 0.6 s slower (an LD_PRELOAD shim), a reply leaves only after the
    # flush of its commit, and a notification only after the flush that made it due: the second referral,
    # and a coordinator's retry of a dead notification, arrive while the first referral's flush runs, are
    # committed when it is back and told a whole flush later — they must not leave with the first's.
    import os
    import sqlite3
    import tempfile
    shim = os.path.join(os.path.dirname(os.environ["TSUNAGU_BIN"]), "slow_flush.so")
    expect(os.path.exists(shim), "make test builds " + shim)
    slow = 0.6
    flag = tempfile.mktemp(prefix="tsunagu-slow-")
    asan = os.environ.get("ASAN_OPTIONS", "")
    d = Daemon()
    try:
        d.start(env={"LD_PRELOAD": shim, "SLOW_FLUSH_WHEN": flag, "SLOW_FLUSH_MS": str(int(slow * 1000)),
                     "ASAN_OPTIONS": (asan + ":" if asan else "") + "verify_asan_link_order=0"})

        def lines():
            if not os.path.exists(d.jsonl):
                return []
            return [json.loads(l) for l in open(d.jsonl, encoding="utf-8") if l.strip()]

        # at full speed: a referral whose notification is then marked dead, for a coordinator to retry
        first = d.post("/v1/cases", pharmacy_referral(name="最初"), who="pharmacist")
        expect(first.status == 201, first)
        dead_case = first.json["id"]
        deadline = time.time() + 10
        while not d.db_rows("SELECT 1 FROM outbox WHERE case_id = ? AND status = 'delivered'", (dead_case,)):
            expect(time.time() < deadline, "the first notification was delivered")
            time.sleep(0.02)
        db = sqlite3.connect(d.db, timeout=30)
        db.execute("UPDATE outbox SET status = 'dead' WHERE case_id = ?", (dead_case,))
        db.commit()
        db.close()
        dead_id = d.db_rows("SELECT id FROM outbox WHERE case_id = ?", (dead_case,))[0][0]
        already = len(lines())
        open(flag, "w").close()
        seen = []                # (case id, when its line appeared), in the file's order
        stop = threading.Event()

        def watch():
            while not stop.is_set():
                now_lines = lines()[already:]
                for entry in now_lines[len(seen):]:
                    seen.append((entry["case_id"], time.time()))
                time.sleep(0.005)

        watcher = threading.Thread(target=watch)
        watcher.start()
        replies = []

        def open_one(n, delay):
            time.sleep(delay)
            sent = time.time()
            # other people than the first (the same one would be told to the centre as a possible duplicate too)
            body = pharmacy_referral(name="人%d" % n)
            body["subject"]["birth_date"] = "1950-01-%02d" % (n + 1)
            r = d.post("/v1/cases", body, who="pharmacist")
            expect(r.status == 201, r)
            replies.append((n, r.json["id"], sent, time.time()))

        def retry(delay):
            time.sleep(delay)
            r = d.post("/v1/notifications/%s/retry" % dead_id, {}, who="coordinator")
            expect(r.status == 200, r)

        clients = [threading.Thread(target=open_one, args=(n, n * slow / 3)) for n in range(2)]
        clients.append(threading.Thread(target=retry, args=(slow / 3,)))
        for c in clients:
            c.start()
        for c in clients:
            c.join()
        deadline = time.time() + 10
        while len(seen) < 3 and time.time() < deadline:
            time.sleep(0.01)
        stop.set()
        watcher.join()
        replies.sort()
        when = {}
        for cid, t in seen:
            when.setdefault(cid, t)
        expect(len(replies) == 2 and len(seen) == 3 and dead_case in when, (replies, seen))
        for n, cid, sent, answered in replies:
            expect(answered - sent >= slow * 0.95, "reply %d waited for its flush: %.3f s" % (n, answered - sent))
            expect(when[cid] - sent >= slow * 0.95, "notification %d waited for its flush: %.3f s" % (
                n, when[cid] - sent))
        told_first = when[replies[0][1]]
        for what, t in (("the second referral's notification", when[replies[1][1]]),
                        ("the retried notification", when[dead_case])):
            expect(t - told_first >= slow * 0.8, "%s waited for its own flush, not the first's: %.3f s after" % (
                what, t - told_first))
        os.unlink(flag)
        d.stop()
        rows = {c for (c,) in d.db_rows("SELECT id FROM cases")}
        expect({cid for _, cid, _, _ in replies} <= rows, "both referrals are on disk")
    finally:
        if os.path.exists(flag):
            os.unlink(flag)
        d.cleanup()
