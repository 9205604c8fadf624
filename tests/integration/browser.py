"""A real browser for the page tests: Debian's headless Chromium driven through chromium-driver
(python3-selenium), with the console and every network request recorded, axe-core for
accessibility, screenshots at 1366x768 and printing to PDF through the DevTools protocol."""
import base64
import json
import os
import re
import shutil
import tempfile
import time

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from helpers import ROOT

AXE = os.path.join(ROOT, "tests", "node_modules", "axe-core", "axe.min.js")
OUT = os.path.join(ROOT, "build", "test-output", "pages")


class Browser:
    def __init__(self, base, width=1366, height=768, lang="ja"):
        self.base = base.rstrip("/")
        self.profile = tempfile.mkdtemp(prefix="tsunagu-chromium-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = "/usr/bin/chromium"
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--window-size=%d,%d" % (width, height), "--lang=%s" % lang, "--user-data-dir=" + self.profile,
                  "--no-first-run", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-default-apps", "--disable-extensions",
                  "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"):
            opts.add_argument(a)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
        self.driver.set_page_load_timeout(30)
        self.driver.execute_cdp_cmd("Network.enable", {})
        self._perf = []
        os.makedirs(OUT, exist_ok=True)

    def close(self):
        try:
            self.driver.quit()
        except WebDriverException:
            pass
        shutil.rmtree(self.profile, ignore_errors=True)

    # ---- navigation and finding -------------------------------------------------------------
    def get(self, path):
        self.driver.get(self.base + path)
        self.wait_idle()

    def url(self):
        return self.driver.current_url

    def path(self):
        return re.sub(r"^https?://[^/]+", "", self.driver.current_url)

    def wait(self, fn, timeout=15, message="the page did not get there"):
        try:
            # a page that draws again while the condition reads it: read it again at the next poll
            return WebDriverWait(self.driver, timeout, poll_frequency=0.05,
                                 ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: fn())
        except TimeoutException:
            raise AssertionError("%s (at %s): %s" % (message, self.path(), self.text()[:800]))

    def wait_idle(self):
        """Until the page has drawn: the shell's loading line is gone and no request is in flight."""
        self.wait(lambda: self.driver.execute_script(
            "return document.readyState === 'complete' && !document.querySelector('main .loading')"),
            message="the page did not finish loading")
        time.sleep(0.15)

    def find(self, css, timeout=10):
        return self.wait(lambda: (self.driver.find_elements(By.CSS_SELECTOR, css) or [None])[0], timeout,
                         "no element %s" % css)

    def all(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self):
        try:
            return self.driver.find_element(By.TAG_NAME, "body").text
        except WebDriverException:
            return ""

    def wait_text(self, s, timeout=15):
        self.wait(lambda: s in self.text(), timeout, "no text %r" % s)

    def button(self, label, timeout=10):
        def one():
            for b in self.driver.find_elements(By.CSS_SELECTOR, "button, a.button"):
                if b.is_displayed() and b.text.strip() == label:
                    return b
            return None
        return self.wait(one, timeout, "no button %r" % label)

    def field(self, label_start):
        """The input of the field whose label begins with label_start (labels, as a person reads them)."""
        def one():
            for lab in self.driver.find_elements(By.CSS_SELECTOR, "label, legend"):
                if lab.text.strip().startswith(label_start) and lab.is_displayed():
                    if lab.tag_name == "legend":
                        return lab.find_element(By.XPATH, "..")
                    target = lab.get_attribute("for")
                    if target:
                        return self.driver.find_element(By.ID, target)
            return None
        return self.wait(one, 10, "no field labelled %r" % label_start)

    def fill(self, label_start, value):
        el = self.field(label_start)
        el.clear()
        el.send_keys(value)
        return el

    def choose(self, label_start, option_text):
        el = self.field(label_start)
        if el.tag_name == "select":
            for o in el.find_elements(By.TAG_NAME, "option"):
                if o.text.strip().startswith(option_text):
                    o.click()
                    return el
            raise AssertionError("no option %r in %r" % (option_text, label_start))
        for lab in el.find_elements(By.CSS_SELECTOR, "label"):
            if lab.text.strip().startswith(option_text):
                lab.click()
                return el
        raise AssertionError("no choice %r in %r" % (option_text, label_start))

    def keys(self, *keys):
        webdriver.ActionChains(self.driver).send_keys(*keys).perform()

    def focused(self):
        return self.driver.switch_to.active_element

    # ---- what the page did ---------------------------------------------------------------------
    def _drain(self):
        for entry in self.driver.get_log("performance"):
            try:
                self._perf.append(json.loads(entry["message"])["message"])
            except (ValueError, KeyError):
                pass

    def requests(self):
        """Every URL the browser asked for since the start."""
        self._drain()
        return [m["params"]["request"]["url"] for m in self._perf if m.get("method") == "Network.requestWillBeSent"]

    def transferred_since(self, mark):
        self._drain()
        return sum(m["params"].get("encodedDataLength", 0) for m in self._perf[mark:]
                   if m.get("method") == "Network.loadingFinished")

    def mark(self):
        self._drain()
        return len(self._perf)

    def console_errors(self):
        return [e for e in self.driver.get_log("browser") if e.get("level") == "SEVERE"]

    def axe(self):
        """Violations of serious or critical impact (WCAG 2.x A and AA rules, as JIS X 8341-3 AA asks)."""
        with open(AXE, encoding="utf-8") as f:
            self.driver.execute_script(f.read())
        result = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
            ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))).catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));")
        return [v for v in result if v["impact"] in ("serious", "critical")]

    def screenshot(self, name):
        path = os.path.join(OUT, name + ".png")
        self.driver.save_screenshot(path)
        return path

    def pdf(self, name):
        data = self.driver.execute_cdp_cmd("Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69,
                                                               "preferCSSPageSize": True, "printBackground": False})
        raw = base64.b64decode(data["data"])
        with open(os.path.join(OUT, name + ".pdf"), "wb") as f:
            f.write(raw)
        return raw

    @staticmethod
    def pdf_pages(raw):
        return len(re.findall(rb"/Type\s*/Page(?!s)", raw))

    def cookies(self):
        return self.driver.get_cookies()

    def storage(self):
        return self.driver.execute_script(
            "return {local: Object.keys(localStorage), session: Object.keys(sessionStorage)};")
