"""Availability: no connection, request or command stalls the daemon for everyone.
Each finding of the availability issue at a small size, with short limits in the
config (time is the real clock here: the limits are about wall time, and each
test waits a second or two at most). An attacker comes from 127.0.0.2, another
loopback address, so that the per-client limits can be seen apart from the
well-behaved client on 127.0.0.1."""
import http.client
import json
import os
import re
import socket
import sqlite3
import subprocess
import threading
import time

from daemon import Daemon, pharmacy_referral
from helpers import BIN, ROOT, expect, tsunagu
from test_checkup_import import HEADER, ANSWERS_OK


def limits(**kw):
    """A daemon whose limits: block is the demo's with these values."""
    d = Daemon()
    text = open(d.config, encoding="utf-8").read()
    start = text.index("limits:\n")
    end = text.index("\n\n", start)
    values = {"max_body_bytes": 1048576, "max_header_bytes": 16384, "request_timeout_seconds": 30,
              "max_connections": 1024, "max_list_items": 500}
    values.update(kw)
    block = "limits:\n" + "".join("  %s: %s\n" % (k, v) for k, v in values.items())
    open(d.config, "w", encoding="utf-8").write(text[:start] + block.rstrip("\n") + text[end:])
    return d


def sock(d, source="127.0.0.1", timeout=5):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect(("127.0.0.1", d.port))
    return s


def read_reply(s):
    """Reads one reply (head and Content-Length body) from a socket: (status, headers dict, body bytes)."""
    data = b""
    while b"\r\n\r\n" not in data:
        b = s.recv(65536)
        if not b:
            break
        data += b
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    expect(lines and lines[0].startswith("HTTP/1.1 "), data[:200])
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    while len(body) < n:
        b = s.recv(65536)
        if not b:
            break
        body += b
    return status, headers, body[:n]


def json_error(status, headers, body, want_status, want_code):
    expect(status == want_status, (status, body))
    expect(headers.get("content-type", "").startswith("application/json"), headers)
    e = json.loads(body)["error"]
    expect(e["code"] == want_code and e["message"] and e["message_ja"] and "field" in e, e)
    return e


def closed(s, within=3.0):
    """True when the server closes the socket within the time (reading what it sends until then)."""
    s.settimeout(within)
    try:
        while True:
            b = s.recv(65536)
            if not b:
                return True
    except (socket.timeout, TimeoutError):
        return False
    except ConnectionResetError:
        return True


def healthz(d, source="127.0.0.1"):
    s = sock(d, source)
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return read_reply(s)[0]
    finally:
        s.close()


def test_half_open_sockets_are_counted_at_accept_and_one_client_cannot_lock_out_the_rest():
    with limits(max_connections=64, max_connections_per_client=8, header_timeout_seconds=5) as d:
        held = []
        for _ in range(8):
            s = sock(d, "127.0.0.2")
            s.sendall(b"GET /healthz HTTP/1.1\r\nHo")
            held.append(s)
        time.sleep(0.2)
        # the ninth from the same address is refused at once, with the JSON error and a time to come back
        s = sock(d, "127.0.0.2")
        status, headers, body = read_reply(s)
        json_error(status, headers, body, 503, "too_many_connections")
        expect(headers.get("retry-after") == "1", headers)
        expect(closed(s), "the refused connection is closed")
        s.close()
        # everyone else is answered meanwhile
        expect(healthz(d) == 200, "the nurses' address is not affected")
        for s in held:
            s.close()
        time.sleep(0.3)
        expect(healthz(d, "127.0.0.2") == 200, "the address gets its share back once it closes its sockets")


def test_a_full_server_gives_up_idle_keep_alive_connections_before_refusing():
    with limits(max_connections=6, max_connections_per_client=3) as d:
        idle = []
        for source in ("127.0.0.1",) * 3 + ("127.0.0.2",) * 3:
            s = sock(d, source)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            expect(read_reply(s)[0] == 200, "keep-alive request")
            idle.append(s)
        # the server is full of idle connections: a new one is served, the oldest idle one closed
        expect(healthz(d, "127.0.0.3") == 200, "a new client is served while the server is full of idle ones")
        expect(closed(idle[0], 1.0), "the oldest idle connection made room")
        # a client at its share gives up its own idle connection for its new one
        s = sock(d, "127.0.0.2")
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        expect(read_reply(s)[0] == 200, "the client's own idle connection made room")
        expect(closed(idle[3], 1.0), "its oldest idle one")
        idle.append(s)
        for s in idle:
            s.close()
        time.sleep(0.3)
        # full of slow heads from two clients: a newcomer takes the place of the oldest of one of them
        busy = []
        for source in ("127.0.0.1",) * 3 + ("127.0.0.2",) * 3:
            s = sock(d, source)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHo")
            busy.append(s)
            time.sleep(0.05)
        time.sleep(0.2)
        expect(healthz(d, "127.0.0.3") == 200, "a newcomer is served while two clients hold every place")
        gone = [i for i, s in enumerate(busy) if closed(s, 0.3)]
        expect(gone in ([0], [3]), "one client's oldest slow head made room: %s" % gone)
        for s in busy:
            s.close()
        time.sleep(0.3)
        # full of connections in the middle of a request, one per client: a new one is refused with the JSON error
        busy = []
        for i in range(6):
            s = sock(d, "127.0.0.%d" % (i + 1))
            s.sendall(b"GET /healthz HTTP/1.1\r\nHo")
            busy.append(s)
        time.sleep(0.2)
        s = sock(d, "127.0.0.7")
        status, headers, body = read_reply(s)
        json_error(status, headers, body, 503, "too_many_connections")
        s.close()
        for s in busy:
            s.close()
        time.sleep(0.3)
        # the same in the metrics: idle connections closed for room, the one refused
        metrics = d.get("/metrics", check_contract=False).text
        evicted = re.search(r"^tsunagu_connections_evicted_total (\d+)$", metrics, re.M)
        full = re.search(r'^tsunagu_connections_refused_total\{reason="full"\} (\d+)$', metrics, re.M)
        shed = re.search(r"^tsunagu_connections_shed_total (\d+)$", metrics, re.M)
        expect(evicted and int(evicted.group(1)) >= 2 and full and int(full.group(1)) >= 1, metrics[:3000])
        expect(shed and int(shed.group(1)) == 1, metrics[:3000])
    log = d.stderr()
    expect(re.search(r"connections: \d+ accepted, [1-9]\d* refused \(server full\)", log), log)


def test_slow_heads_and_slow_bodies_are_cut_off():
    with limits(header_timeout_seconds=1, min_body_bytes_per_second=1000, request_timeout_seconds=30) as d:
        # slowloris: a header line every 0.3 s never completes the head within its deadline
        s = sock(d, "127.0.0.2")
        s.sendall(b"GET /healthz HTTP/1.1\r\n")
        start = time.time()
        status = None
        for i in range(20):
            try:
                s.sendall(b"X-Slow-%d: a\r\n" % i)
            except (BrokenPipeError, ConnectionResetError):
                break
            s.settimeout(0.3)
            try:
                data = s.recv(65536)
                if data:
                    status = int(data.split()[1])
                    break
            except (socket.timeout, TimeoutError):
                pass
        expect(status == 408, status)
        expect(time.time() - start < 3, "cut off at the head's deadline, not after it")
        s.close()
        # a connection that sends nothing at all
        s = sock(d, "127.0.0.2")
        status, headers, body = read_reply(s)
        json_error(status, headers, body, 408, "request_timeout")
        s.close()
        # a body that trickles: 10 bytes a second against a minimum of 1,000
        s = sock(d, "127.0.0.2")
        s.sendall(b"POST /v1/cases HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 100000\r\n\r\n")
        got = None
        for _ in range(40):
            try:
                s.sendall(b"x" * 10)
            except (BrokenPipeError, ConnectionResetError):
                break
            s.settimeout(0.1)
            try:
                data = s.recv(65536)
                if data:
                    got = data
                    break
            except (socket.timeout, TimeoutError):
                pass
        expect(got and got.startswith(b"HTTP/1.1 408"), got)
        s.close()
        expect(healthz(d) == 200, "others were answered throughout")
        timed_out = re.search(r"^tsunagu_connections_timed_out_total (\d+)$",
                              d.get("/metrics", check_contract=False).text, re.M)
        expect(timed_out and int(timed_out.group(1)) >= 2, "the cut-off connections are counted")


def test_idle_keep_alive_connections_are_closed():
    with limits(idle_timeout_seconds=1) as d:
        s = sock(d)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        expect(read_reply(s)[0] == 200, "first request")
        expect(closed(s, 2.5), "closed after a second without a request")
        s.close()


def test_an_oversize_body_is_refused_before_it_is_read():
    with limits(max_body_bytes=65536) as d:
        s = sock(d, "127.0.0.2")
        start = time.time()
        s.sendall(b"POST /v1/cases HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 15000000\r\n\r\n")
        status, headers, body = read_reply(s)
        json_error(status, headers, body, 413, "payload_too_large")
        expect(time.time() - start < 2, "answered at once, not at a timeout")
        s.close()
        s = sock(d, "127.0.0.2")
        s.sendall(b"POST /v1/cases HTTP/1.1\r\nHost: x\r\nContent-Length: 184467440737095516160\r\n\r\n")
        status, headers, body = read_reply(s)
        json_error(status, headers, body, 413, "payload_too_large")
        s.close()
        # a chunked body stops being read at the limit
        s = sock(d, "127.0.0.2")
        s.sendall(b"POST /v1/cases HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
        status = None
        try:
            for _ in range(40):
                s.sendall(b"1000\r\n" + b"x" * 4096 + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        status, headers, body = read_reply(s)
        json_error(status, headers, body, 413, "payload_too_large")
        s.close()
        # the memory of refused bodies is not kept: 30 large posts leave the daemon about where it was
        rss = lambda: int(re.search(r"VmRSS:\s+(\d+)", open("/proc/%d/status" % d.proc.pid).read()).group(1))
        before = rss()
        for _ in range(30):
            s = sock(d, "127.0.0.2")
            s.sendall(b"POST /v1/cases HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 60000\r\n\r\n" + b" " * 60000)
            read_reply(s)
            s.close()
        expect(rss() - before < 20000, (before, rss()))


def raw_error(d, data):
    s = sock(d)
    try:
        s.sendall(data)
        return read_reply(s)
    finally:
        s.close()


def test_every_refusal_of_framing_is_the_json_error():
    with Daemon() as d:
        tok = d.tokens["nurse"].encode()
        cases = [
            (b"GET /v1/cases HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + tok +
             b"\r\nAuthorization: Bearer " + tok + b"\r\n\r\n", 400, "invalid_header"),
            (b"POST /v1/cases HTTP/1.1\r\nHost: x\r\nIdempotency-Key: a\r\nIdempotency-Key: b\r\n"
             b"Content-Length: 2\r\n\r\n{}", 400, "invalid_header"),
            (b"POST /v1/cases HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
             400, "invalid_framing"),
            (b"POST /v1/cases HTTP/1.1\r\nHost: x\r\nContent-Length: +2\r\n\r\n{}", 400, "invalid_framing"),
            (b"POST /v1/cases HTTP/1.1\r\nHost: x\r\nContent-Length: 0x2\r\n\r\n{}", 400, "invalid_framing"),
            (b"POST /v1/cases HTTP/1.1\r\nHost: x\r\nContent-Length: 2,2\r\n\r\n{}", 400, "invalid_framing"),
            (b"POST /v1/cases HTTP/1.1\r\nHost: x\r\nContent-Length: 2 2\r\n\r\n{}", 400, "invalid_framing"),
            (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400, "invalid_request"),
            (b"GET /healthz HTTP/1.1\r\n\r\n", 400, "invalid_request"),
            (b"POST /v1/cases HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2;x=y\r\n{}\r\n0\r\n\r\n",
             400, "invalid_framing"),
            (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n", 431, "headers_too_large"),
            (b"GET /healthz HTTP/3.0\r\nHost: x\r\n\r\n", 505, "version_not_supported"),
            (b"GET /healthz HTTP/1.1\nHost: x\n\n", 400, "invalid_request"),
            (b"GET /v1/cases?limit=%2010 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + tok + b"\r\n\r\n",
             400, "invalid_query"),
            (b"GET /v1/cases?q=%00 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "invalid_query"),
        ]
        for data, status, code in cases:
            got = raw_error(d, data)
            json_error(*got, status, code)
        # methods evhttp answered with its own text: now the API's 405 (a known path) or 404
        for method in (b"get", b"TRACE", b"CONNECT", b"PROPFIND"):
            status, headers, body = raw_error(d, method + b" /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            json_error(status, headers, body, 405, "method_not_allowed")
            expect(headers.get("allow") == "GET", headers)
        expect(healthz(d) == 200, "the daemon still answers")


def test_expect_continue_and_pipelined_requests():
    with Daemon() as d:
        body = json.dumps({"now": "2026-01-01T00:00:00+09:00"}).encode()
        s = sock(d)
        s.sendall(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
        expect(s.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), "100 Continue first")
        s.sendall(body)
        expect(read_reply(s)[0] == 405, "then the answer")
        # two requests in one packet are answered in order
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
        expect(read_reply(s)[0] == 200 and read_reply(s)[0] == 404, "pipelined answers in order")
        s.close()


def test_a_database_another_process_holds_delays_requests_without_refusing_them():
    with limits(database_wait_seconds=3) as d:
        ready = threading.Event()

        def hold(seconds):
            db = sqlite3.connect(d.db, timeout=30, isolation_level=None)
            db.execute("BEGIN IMMEDIATE")
            ready.set()
            time.sleep(seconds)
            db.execute("COMMIT")
            db.close()

        t = threading.Thread(target=hold, args=(1.0,))
        t.start()
        ready.wait()
        start = time.time()
        expect(healthz(d) == 200, "healthz waits for the lock and answers")
        r = d.post("/v1/cases", pharmacy_referral(), who="pharmacist")
        t.join()
        expect(r.status == 201, r)
        expect(time.time() - start < 3, "answered soon after the lock was let go")
        # held beyond database_wait_seconds: a 503 that says to try again
        ready.clear()
        t = threading.Thread(target=hold, args=(4.5,))
        t.start()
        ready.wait()
        r = d.get("/healthz")
        t.join()
        expect(r.status == 503 and r.json["error"]["code"] == "storage_unavailable" and
               r.header("Retry-After"), r)
        expect(healthz(d) == 200, "and answers again once the lock is free")
    expect(re.search(r"[1-9]\d* waited for the database \([1-9]\d* gave up\)", d.stderr()), d.stderr())


def test_wrong_tokens_are_rate_limited_per_address_and_logged_without_the_token():
    with limits(auth_failures_per_minute=5) as d:
        def get(token, source):
            s = sock(d, source)
            try:
                s.sendall(b"GET /v1/cases HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token.encode() +
                          b"\r\n\r\n")
                return read_reply(s)
            finally:
                s.close()
        for i in range(5):
            status, headers, body = get("tsu_wrong%d" % i, "127.0.0.2")
            json_error(status, headers, body, 401, "unauthorized")
        status, headers, body = get("tsu_wrong_again", "127.0.0.2")
        json_error(status, headers, body, 429, "too_many_requests")
        expect(int(headers["retry-after"]) >= 1, headers)
        # a right token from that address still works: a stale script behind a shared proxy locks out nobody
        expect(get(d.tokens["nurse"], "127.0.0.2")[0] == 200, "a right token from the limited address")
        expect(get("tsu_wrong_more", "127.0.0.2")[0] == 429, "wrong ones stay limited")
        expect(get(d.tokens["nurse"], "127.0.0.1")[0] == 200, "the nurses' address")
    log = d.stderr()
    expect("127.0.0.2" in log and "wrong token" in log, log)
    expect(len([l for l in log.splitlines() if "more from it get 429" in l]) == 1, log)
    expect("tsu_wrong" not in log and d.tokens["nurse"] not in log, "no token in the log")


def test_trusted_proxies_name_the_client():
    d = limits(max_connections_per_client=2, auth_failures_per_minute=2)
    text = open(d.config, encoding="utf-8").read().replace("trusted_proxies: []", "trusted_proxies: [127.0.0.3]")
    open(d.config, "w", encoding="utf-8").write(text)
    with d:
        def get(token, xff):
            s = sock(d, "127.0.0.3")
            try:
                s.sendall(b"GET /v1/cases HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: " + xff.encode() +
                          b"\r\nAuthorization: Bearer " + token.encode() + b"\r\n\r\n")
                return read_reply(s)[0]
            finally:
                s.close()
        # the proxy's own connections are not limited per client: three at once
        held = [sock(d, "127.0.0.3") for _ in range(3)]
        for s in held:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            expect(read_reply(s)[0] == 200, "through the proxy")
        for s in held:
            s.close()
        # failures are counted against the address the proxy reports, nearest untrusted hop first
        expect(get("tsu_bad1", "192.0.2.50") == 401 and get("tsu_bad2", "198.51.100.1, 192.0.2.50") == 401,
               "two wrong tokens from 192.0.2.50")
        expect(get("tsu_bad3", "192.0.2.50") == 429, "the third is limited")
        expect(get(d.tokens["nurse"], "192.0.2.77") == 200, "another client behind the same proxy")
        # a client's own X-Forwarded-For line comes first; the proxy's line below it names the real client
        def get_lines(token, *lines):
            s = sock(d, "127.0.0.3")
            try:
                s.sendall(b"GET /v1/cases HTTP/1.1\r\nHost: x\r\n" +
                          b"".join(b"X-Forwarded-For: " + l.encode() + b"\r\n" for l in lines) +
                          b"Authorization: Bearer " + token.encode() + b"\r\n\r\n")
                return read_reply(s)[0]
            finally:
                s.close()
        expect(get_lines("tsu_bad4", "10.9.9.9", "192.0.2.50") == 429, "a forged first line does not help")
    expect("192.0.2.50" in d.stderr(), d.stderr())


def checkup_rows(n):
    """n rows that share kana and birth date (the worst case of the duplicate check), all eligible."""
    lines = [HEADER]
    for i in range(n):
        lines.append("2026/06/10,W-%05d,同名 花子,ﾄﾞｳﾒｲ ﾊﾅｺ,1946/04/01,2,0193-00-0000,unosumai,%s,1"
                     % (i, ANSWERS_OK))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def poll_healthz(d, stop, worst):
    while not stop.is_set():
        start = time.time()
        c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=60)
        c.request("GET", "/healthz")
        status = c.getresponse().status
        c.close()
        worst.append((time.time() - start, status))
        time.sleep(0.01)


def test_a_large_checkup_import_does_not_hold_the_loop():
    with Daemon() as d:
        stop, seen = threading.Event(), []
        t = threading.Thread(target=poll_healthz, args=(d, stop, seen))
        t.start()
        try:
            r = d.request("POST", "/v1/imports/checkup", raw_body=checkup_rows(2000), who="checkup",
                          headers={"Content-Type": "text/csv"})
        finally:
            stop.set()
            t.join()
        expect(r.status == 200 and r.json["rows"] == 2000 and len(r.json["opened"]) == 2000, r)
        expect(all(s == 200 for _, s in seen) and len(seen) > 5, seen[:5])
        # answered between slices throughout (in one turn, every poll would have waited the whole import);
        # the worst may still meet a commit waiting for a busy disk
        waits = sorted(t for t, _ in seen)
        p90, worst = waits[int(len(waits) * 0.9)], waits[-1]
        expect(p90 < 0.5 and worst < 2.5, "healthz waited %.2f s (p90) and %.2f s (worst) during the import"
               % (p90, worst))
        dups = d.db_rows("SELECT count(*) FROM cases WHERE duplicates IS NOT NULL")[0][0]
        expect(dups == 1999, dups)
    m = re.search(r"longest loop turn ([\d.]+) ms", d.stderr())
    expect(m, d.stderr())


def test_a_cli_import_while_the_daemon_serves_refuses_nobody():
    with Daemon() as d:
        path = os.path.join(d.tmp, "big.csv")
        open(path, "wb").write(checkup_rows(600))
        uid = [u for u, name in d.db_rows("SELECT id, name FROM users") if name == "健診担当 渡辺"][0]
        stop, seen = threading.Event(), []
        t = threading.Thread(target=poll_healthz, args=(d, stop, seen))
        t.start()
        try:
            proc = tsunagu("checkup", "import", path, "--config", d.config, "--user", uid)
        finally:
            stop.set()
            t.join()
        expect(proc.returncode == 0, proc.stderr)
        expect(len(json.loads(proc.stdout)["opened"]) == 600, proc.stdout[:300])
        expect(seen and all(s == 200 for _, s in seen), [x for x in seen if x[1] != 200][:5])


def test_webhook_replies_are_not_written_to_the_daemons_output():
    import http.server

    class Big(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Length", str(20 << 20))
            self.end_headers()
            chunk = b"tsunagu: FORGED LOG LINE\n" * 4096
            left = 20 << 20
            while left:
                n = min(left, len(chunk))
                self.wfile.write(chunk[:n])
                left -= n

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Big)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    try:
        from test_notifications import make_daemon, wait_for, outbox
        d = make_daemon(srv.server_address[1], timeout=20)
        with d:
            r = d.post("/v1/cases", pharmacy_referral(), who="pharmacist")   # to the support centre, whose channel it is
            expect(r.status == 201, r)
            wait_for(lambda: any(o[2] == "delivered" for o in outbox(d)), "delivered", 30)
            expect(healthz(d) == 200, "answering")
        d.out.seek(0)
        out = d.out.read()
        expect("FORGED" not in out and "FORGED" not in d.stderr(), "the reply body went nowhere")
    finally:
        srv.shutdown()
        srv.server_close()


def test_a_purge_of_many_cases_goes_in_batches_beside_the_running_daemon():
    from test_privacy import closed_case
    with Daemon() as d:
        for i in range(45):
            closed_case(d, name="保存 %d" % i)
        # provision records older than three years no longer hold the cases back
        conn = sqlite3.connect(d.db, timeout=30)
        conn.execute("UPDATE provisions SET at = 1")
        conn.commit()
        conn.close()
        stop, seen = threading.Event(), []
        t = threading.Thread(target=poll_healthz, args=(d, stop, seen))
        t.start()
        try:
            proc = tsunagu("purge", "--closed-before", "2099-01-01", "--config", d.config)
        finally:
            stop.set()
            t.join()
        expect(proc.returncode == 0 and "purged 45 cases" in proc.stdout, proc.stdout + proc.stderr)
        expect(seen and all(s == 200 for _, s in seen), seen[:5])
        left = d.db_rows("SELECT count(*) FROM subjects WHERE data IS NOT NULL AND id IN (SELECT subject_id FROM cases "
                         "WHERE closed_at IS NOT NULL)")[0][0]
        expect(left == 0, left)
        # each batch of 20 is an admin event of its own, the counts adding up
        events = d.db_rows("SELECT e.seq FROM events e WHERE e.action = 'purge'")
        expect(len(events) == 3, events)
        proc = tsunagu("purge", "--closed-before", "2099-01-01", "--config", d.config)
        expect("purged 0 cases" in proc.stdout, proc.stdout)


def test_running_out_of_descriptors_pauses_accepting_instead_of_spinning():
    import resource
    with limits(max_connections=1024, max_connections_per_client=1024, header_timeout_seconds=5) as d:
        expect(healthz(d) == 200, "before")
        # the daemon's limit lowered from outside, below what its connections need
        resource.prlimit(d.proc.pid, resource.RLIMIT_NOFILE, (48, 48))
        held = []
        for _ in range(80):
            try:
                s = sock(d, "127.0.0.2")
                s.sendall(b"GET /healthz HTTP/1.1\r\nHo")
                held.append(s)
            except OSError:
                break
        ticks = lambda: sum(int(x) for x in open("/proc/%d/stat" % d.proc.pid).read().split(") ")[1].split()[11:13])
        before = ticks()
        time.sleep(2.0)
        used = ticks() - before
        expect(used < 100, "the loop spun: %d ticks of CPU in 2 s" % used)
        for s in held:
            s.close()
        time.sleep(0.6)
        expect(healthz(d) == 200, "answers again once descriptors are free")
    log = d.stderr()
    lines = [l for l in log.splitlines() if "accept failed" in l]
    expect(1 <= len(lines) <= 2 and "out of file descriptors" in lines[0], lines)


def test_bodies_being_read_share_one_budget():
    with limits(max_body_bytes=100000, max_buffered_body_bytes=200000, max_connections_per_client=64) as d:
        head = (b"POST /v1/cases HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 90000\r\n\r\n")
        held = []
        for source in ("127.0.0.2", "127.0.0.3"):
            s = sock(d, source)
            s.sendall(head + b" " * 1000)
            held.append(s)
        time.sleep(0.2)
        # a third body would pass the budget: refused at its head, before a byte of it is read
        s = sock(d, "127.0.0.4")
        s.sendall(head)
        status, headers, body = read_reply(s)
        json_error(status, headers, body, 503, "server_busy")
        expect(headers.get("retry-after") == "1", headers)
        s.close()
        # small requests are not held up meanwhile
        expect(healthz(d) == 200, "others are answered")
        held[0].close()
        time.sleep(0.3)
        s = sock(d, "127.0.0.4")
        s.sendall(head + b"{" + b" " * 89998 + b"}")
        status, headers, body = read_reply(s)
        expect(status == 401, (status, body))
        s.close()
        for s in held[1:]:
            s.close()


def test_one_client_cannot_take_the_whole_body_budget():
    # a share is an eighth of the budget (here 100,000 bytes, one body of max_body_bytes)
    with limits(max_body_bytes=100000, max_buffered_body_bytes=800000, max_connections_per_client=64) as d:
        head = (b"POST /v1/imports/checkup HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
                b"Content-Length: 90000\r\n\r\n")
        first = sock(d, "127.0.0.2")
        first.sendall(head + b" " * 1000)
        time.sleep(0.2)
        # the same stranger's second slow body would pass its share: refused at its head
        second = sock(d, "127.0.0.2")
        second.sendall(head)
        status, headers, body = read_reply(second)
        json_error(status, headers, body, 503, "server_busy")
        second.close()
        # another client's body is read meanwhile, and its request answered
        other = sock(d, "127.0.0.3")
        other.sendall(head + b"x" * 90000)
        status, headers, body = read_reply(other)
        expect(status == 401, (status, body))
        other.close()
        first.close()
        time.sleep(0.3)
        # once the first is gone, the share is free again
        again = sock(d, "127.0.0.2")
        again.sendall(head + b"x" * 90000)
        status, headers, body = read_reply(again)
        expect(status == 401, (status, body))
        again.close()


def test_the_soft_descriptor_limit_is_raised_at_start():
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    low = min(256, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (low, hard))
    try:
        d = Daemon()
        d.start()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    try:
        got = resource.prlimit(d.proc.pid, resource.RLIMIT_NOFILE)
        expect(got == (hard, hard), (got, hard))
    finally:
        d.stop()
    # below what max_connections (1024) needs, the daemon says so at start
    if hard < 1024 + 256:
        expect("below the" in d.stderr() and "LimitNOFILE" in d.stderr(), d.stderr())


def test_heavy_replies_are_made_on_a_worker_and_audit_listings_page():
    from test_privacy import closed_case
    with Daemon() as d:
        for i in range(3):
            closed_case(d, name="頁 %d" % i)
        for _ in range(4):
            d.get("/v1/cases?limit=5", who="nurse")
        # the access log a page at a time, every row once, in order
        seen, cursor, pages = [], "", 0
        while True:
            r = d.get("/v1/audit/access?limit=2" + cursor, who="coordinator")
            expect(r.status == 200 and len(r.json["items"]) <= 2, r)
            seen += [(i["at"], i["what"], i.get("case_id")) for i in r.json["items"]]
            pages += 1
            if not r.json["next_cursor"]:
                break
            cursor = "&cursor=" + r.json["next_cursor"]
        total = d.db_rows("SELECT count(*) FROM access_log")[0][0]
        expect(len(seen) >= 4 and pages >= 2 and len(seen) <= total, (len(seen), pages, total))
        whole = d.get("/v1/audit/access?limit=500", who="coordinator").json["items"]
        expect([(i["at"], i["what"], i.get("case_id")) for i in whole][:len(seen)] == seen, "pages join up")
        for bad in ("zz", "12.", ".abc", "1x.abc", "99999999999999999999.a"):
            r = d.get("/v1/audit/provisions?cursor=" + bad, who="coordinator")
            expect(r.status == 400 and r.json["error"]["code"] == "invalid_query" and
                   r.json["error"]["field"] == "cursor", (bad, r))
        # the CSV is the whole period, whatever the limit
        csv = d.get("/v1/audit/access?limit=1", who="coordinator", headers={"Accept": "text/csv"})
        expect(csv.status == 200 and csv.text.count("\n") >= len(seen) + 1, csv.text[:300])
        for path in ("/v1/reports/funnel", "/v1/audit/verify", "/v1/audit/provisions"):
            expect(d.get(path, who="coordinator").status == 200, path)
    m = re.search(r"(\d+) made on a worker", d.stderr())
    expect(m and int(m.group(1)) >= pages + 5, d.stderr())


def test_a_disclosure_of_a_person_with_many_cases():
    with Daemon() as d:
        lines = [HEADER] + ["%04d/%02d/%02d,MANY-1,多数 花子,ﾀｽｳ ﾊﾅｺ,1946/04/01,2,0193-00-0000,unosumai,%s,1"
                            % (2020 + i // 28, 1 + i % 12, 1 + i % 28, ANSWERS_OK) for i in range(120)]
        r = d.request("POST", "/v1/imports/checkup", raw_body=("\r\n".join(lines) + "\r\n").encode(),
                      who="checkup", headers={"Content-Type": "text/csv"})
        expect(r.status == 200 and len(r.json["opened"]) == 120, r)
        before = d.db_rows("SELECT count(*) FROM access_log WHERE what = 'subject.export'")[0][0]
        r = d.get("/v1/subjects/MANY-1/export", who="life_nurse")
        expect(r.status == 200 and len(r.json["cases"]) == 120, r)
        after = d.db_rows("SELECT count(*) FROM access_log WHERE what = 'subject.export'")[0][0]
        expect(after - before == 120, "each case read is in the access log")
        expect(d.get("/v1/subjects/MANY-1/export", who="pharmacist").status == 404, "a stranger")


def test_an_inbox_costs_what_it_holds_not_what_the_organisation_ever_had():
    d = Daemon()
    try:
        d.start()
        waiting = d.post("/v1/cases", pharmacy_referral(), who="pharmacist").json["id"]
        d.stop()
        # 30,000 cases the centre closed long ago, and 300 from before the store kept inboxes (schema 12)
        c = sqlite3.connect(d.db)
        c.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30300) "
                  "INSERT INTO cases(id, pathway, pathway_version, state, version, origin_org, origin_user, "
                  "receiver_org, subject_id, fields, opened_at, updated_at, closed_at, inbox) "
                  "SELECT printf('c_old%05d', i), pathway, pathway_version, "
                  "CASE WHEN i <= 30000 THEN 'closed' ELSE state END, 9, origin_org, origin_user, receiver_org, "
                  "subject_id, fields, opened_at - i, updated_at - i, CASE WHEN i <= 30000 THEN opened_at END, "
                  "CASE WHEN i <= 30000 THEN NULL ELSE '?' END FROM n, cases WHERE cases.id = ?", (waiting,))
        c.commit()
        c.close()
        d.start()
        expect(re.search(r"inboxes: 300 cases from before worked out", d.stderr()), d.stderr())
        expect(d.db_rows("SELECT count(*) FROM cases WHERE inbox = '?'") == [(0,)], "all worked out")
        inbox = d.get("/v1/cases?inbox=org&limit=5", who="nurse").json
        expect(len(inbox["items"]) == 5 and inbox["next_cursor"], inbox)
        ids, cursor = [], None
        while True:
            page = d.get("/v1/cases?inbox=org&limit=100" + ("&cursor=" + cursor if cursor else ""), who="nurse").json
            ids += [x["id"] for x in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        expect(len(ids) == 301 and waiting in ids, len(ids))
        expect(len(d.get("/v1/cases?inbox=me&sort=due&limit=100", who="nurse").json["items"]) == 100, "by due")
        expect(len(d.get("/v1/cases?inbox=org&open=true&sort=due&limit=100", who="coordinator").json["items"]) == 0,
               "the coordinators' inbox holds none of them")
        expect(len(d.get("/v1/cases?sort=due&limit=1", who="coordinator").json["items"]) == 1, "every case by due")
        # none of them held the loop: the closed cases are never read for an inbox
        slow = [l for l in d.stderr().splitlines() if "held the loop" in l and "/v1/cases" in l]
        expect(slow == [], slow)
    finally:
        d.cleanup()


def test_reassigning_hundreds_of_cases_goes_in_batches():
    from test_privacy import add_user
    d = Daemon()
    try:
        d.start()
        leaver, _ = add_user(d, "support-centre", "nurse", "保健師 退職予定")
        colleague, _ = add_user(d, "support-centre", "nurse", "保健師 後任")
        _, admin = add_user(d, "support-centre", "admin", "管理者 木村")
        cid = d.post("/v1/cases", pharmacy_referral(), who="pharmacist").json["id"]
        d.post("/v1/cases/%s/actions/accept" % cid, {}, who="nurse")
        d.post("/v1/cases/%s/assign" % cid, {"user": leaver}, who="nurse")
        d.stop()
        c = sqlite3.connect(d.db)
        c.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 449) "
                  "INSERT INTO cases(id, pathway, pathway_version, state, version, origin_org, origin_user, "
                  "receiver_org, assignee, subject_id, fields, opened_at, updated_at, inbox) "
                  "SELECT printf('c_many%05d', i), pathway, pathway_version, state, 3, origin_org, origin_user, "
                  "receiver_org, assignee, subject_id, fields, opened_at, updated_at, inbox FROM n, cases "
                  "WHERE cases.id = ?", (cid,))
        c.commit()
        c.close()
        d.start()
        r = d.post("/v1/users/%s/reassign" % leaver, {"to": colleague}, token=admin)
        expect(r.status == 200 and len(r.json["moved"]) == 450 and len(set(r.json["moved"])) == 450, r)
        expect(d.db_rows("SELECT count(*) FROM cases WHERE assignee = ?", (colleague,)) == [(450,)], "all moved")
        # a batch a turn, each with its admin event naming the cases it moved
        batches = d.db_rows("SELECT count(*) FROM events WHERE case_id = '' AND action = 'cases_reassigned'")
        expect(batches == [(5,)], batches)
        # and at the command line, a batch a transaction
        proc = tsunagu("user", "reassign", colleague, "--to", leaver, "--config", d.config)
        expect(proc.returncode == 0 and "moved 450 open cases" in proc.stdout, proc.stdout + proc.stderr)
        batches = d.db_rows("SELECT count(*) FROM events WHERE case_id = '' AND action = 'cases_reassigned'")
        expect(batches == [(10,)], batches)
        slow = [l for l in d.stderr().splitlines() if "held the loop" in l and "/v1/users" in l]
        expect(slow == [], slow)
    finally:
        d.cleanup()
