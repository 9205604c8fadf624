"""The deployment behind Debian's nginx as the TLS reverse proxy, with the config shipped in
configs/nginx/tsunagu.conf (only its addresses and certificate paths changed for the test):
the pages' session cookie is Secure (__Host-), the daemon sees the real client's address
(limits and logs), nginx's request id reaches tsunagu's log, /metrics stays on the machine,
and plain http is sent to https."""
import http.client
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import time

from daemon import Daemon, pharmacy_referral
from helpers import ROOT, expect


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def make_certificate(tmp):
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    proc = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                           "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
                          capture_output=True, text=True)
    expect(proc.returncode == 0, proc.stderr)
    return cert, key


def site_config(tmp, daemon_port, https_port, http_port, cert, key):
    """The shipped file, pointed at the test's daemon, ports, certificate and log."""
    text = open(os.path.join(ROOT, "configs", "nginx", "tsunagu.conf"), encoding="utf-8").read()
    text = text.replace("server 127.0.0.1:8080;", "server 127.0.0.1:%d;" % daemon_port)
    text = text.replace("listen 443 ssl http2;", "listen 127.0.0.1:%d ssl http2;" % https_port)
    text = text.replace("listen 80;", "listen 127.0.0.1:%d;" % http_port)
    text = re.sub(r"^\s*listen \[::\].*\n", "", text, flags=re.M)
    text = text.replace("/etc/ssl/tsunagu/fullchain.pem", cert).replace("/etc/ssl/tsunagu/privkey.pem", key)
    text = text.replace("/var/log/nginx/tsunagu.access.log", os.path.join(tmp, "access.log"))
    return text


class Nginx:
    def __init__(self, tmp, site):
        self.tmp = tmp
        os.makedirs(os.path.join(tmp, "nginx"), exist_ok=True)
        open(os.path.join(tmp, "site.conf"), "w").write(site)
        conf = os.path.join(tmp, "nginx.conf")
        open(conf, "w").write("""
user root;
worker_processes 1;
daemon off;
pid %(t)s/nginx.pid;
error_log %(t)s/error.log;
events { worker_connections 64; }
http {
    client_body_temp_path %(t)s/nginx/body;
    proxy_temp_path %(t)s/nginx/proxy;
    fastcgi_temp_path %(t)s/nginx/fastcgi;
    uwsgi_temp_path %(t)s/nginx/uwsgi;
    scgi_temp_path %(t)s/nginx/scgi;
    include %(t)s/site.conf;
}
""" % {"t": tmp})
        check = subprocess.run(["nginx", "-t", "-p", tmp, "-c", conf], capture_output=True, text=True)
        expect(check.returncode == 0, "nginx -t: " + check.stderr)
        self.proc = subprocess.Popen(["nginx", "-p", tmp, "-c", conf], stderr=subprocess.PIPE)

    def stop(self):
        self.proc.send_signal(signal.SIGQUIT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stderr.close()


def wait_listening(port):
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("nginx did not listen on %d" % port)


def test_behind_nginx_the_cookie_is_secure_and_the_client_address_is_the_real_one():
    https_port, http_port = free_port(), free_port()
    d = Daemon()
    text = open(d.config, encoding="utf-8").read()
    text = re.sub(r"^trusted_proxies: .*$", "trusted_proxies: [127.0.0.1]", text, flags=re.M)
    text = re.sub(r"^public_url: .*$", "", text, flags=re.M) + "\npublic_url: https://127.0.0.1:%d\n" % https_port
    open(d.config, "w", encoding="utf-8").write(text)
    cert, key = make_certificate(d.tmp)
    nginx = None
    try:
        d.start()
        nginx = Nginx(d.tmp, site_config(d.tmp, d.port, https_port, http_port, cert, key))
        wait_listening(https_port)
        tls = ssl.create_default_context(cafile=cert)

        def call(method, target, body=None, headers=None, source="127.0.0.2"):
            c = http.client.HTTPSConnection("127.0.0.1", https_port, context=tls, timeout=20,
                                            source_address=(source, 0))
            h = dict(headers or {})
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                h["Content-Type"] = "application/json"
            c.request(method, target, body=data, headers=h)
            r = c.getresponse()
            out = (r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read())
            c.close()
            return out

        # the pages over TLS: the session cookie is Secure and __Host-
        origin = "https://127.0.0.1:%d" % https_port
        status, headers, body = call("POST", "/v1/session/enrol",
                                     {"login": "sato", "code": d.enrolment["sato"],
                                      "passphrase": "umineko to kamome 2026"}, {"Origin": origin})
        expect(status == 201, (status, body))
        cookie = headers.get("set-cookie", "")
        expect(cookie.startswith("__Host-tsunagu_session=") and "; Secure" in cookie and "HttpOnly" in cookie,
               cookie)
        session = cookie.split(";")[0]
        csrf = json.loads(body)["session"]["csrf_token"]
        status, _, body = call("GET", "/v1/me", headers={"Cookie": session})
        expect(status == 200 and json.loads(body)["login"] == "sato", body)
        # a write from another site's page is refused behind the proxy too
        status, _, _ = call("DELETE", "/v1/session", headers={"Cookie": session, "X-CSRF-Token": csrf,
                                                               "Origin": "https://evil.example"})
        expect(status == 403, status)

        # the daemon sees the client nginx saw, never what the client claims
        status, headers, _ = call("GET", "/v1/cases", headers={"Authorization": "Bearer tsu_wrong",
                                                               "X-Forwarded-For": "198.51.100.7"})
        expect(status == 401, status)
        rid = headers.get("x-request-id", "")
        expect(re.fullmatch(r"[0-9a-f]{32}", rid), "nginx's $request_id: %r" % rid)
        deadline = time.time() + 5
        while rid not in d.stderr() and time.time() < deadline:
            time.sleep(0.05)
        line = [l for l in d.stderr().splitlines() if rid in l]
        expect(line and "127.0.0.2" in line[0] and "198.51.100.7" not in line[0], line or d.stderr()[-800:])

        # links in notifications use the public https address
        status, _, body = call("POST", "/v1/cases", pharmacy_referral(),
                               {"Authorization": "Bearer " + d.tokens["pharmacist"]})
        expect(status == 201, body)
        cid = json.loads(body)["id"]
        deadline = time.time() + 10
        while not (os.path.exists(d.jsonl) and cid in open(d.jsonl, encoding="utf-8").read()):
            expect(time.time() < deadline, "the notification")
            time.sleep(0.05)
        note = [json.loads(l) for l in open(d.jsonl, encoding="utf-8") if cid in l][0]
        expect(json.dumps(note).find(origin + "/cases/" + cid) >= 0, note)
        # the metrics stay on the machine; plain http goes to https
        expect(call("GET", "/metrics")[0] == 404, "/metrics through nginx")
        c = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
        c.request("GET", "/login")
        r = c.getresponse()
        r.read()
        c.close()
        expect(r.status == 301 and r.getheader("Location", "").startswith("https://"), r.status)
        d.stop()
    finally:
        if nginx:
            nginx.stop()
        d.cleanup()
