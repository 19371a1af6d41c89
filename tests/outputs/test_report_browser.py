"""The HTML report in a real browser: Debian's headless Chromium, driven over the DevTools protocol.

Chromium is started with ``--remote-debugging-pipe`` (the protocol over file
descriptors 3 and 4, NUL-separated JSON: what Puppeteer and Playwright use), so
the test needs nothing beyond the standard library.  It checks that the page
renders, the map draws every roof (``window.pvsiteMap.drawnCount()``), a real
mouse click on a roof opens its popup, the street filter hides the other
streets' roofs, and that no request leaves ``file://`` / ``data:``.
``scripts/install_browser.sh`` (run by ``make test``) installs chromium; without it
these tests skip with that reason.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import time

import pytest

from pvsite import outputs
from pvsite.outputs import report
from report_fixtures import STREETS, small_result

CHROMIUM = report.find_chromium()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (bash scripts/install_browser.sh installs Debian's chromium)")]


class Browser:
    """A headless Chromium and one page, over the DevTools pipe."""

    def __init__(self, profile: str):
        to_browser_r, self._w = os.pipe()
        self._r, from_browser_w = os.pipe()

        def child_fds():  # the protocol's fds: 3 = commands in, 4 = replies out
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        self.proc = subprocess.Popen(
            [CHROMIUM, *report.CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe",
             "--window-size=1280,900", "about:blank"],
            preexec_fn=child_fds, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "HOME": profile})
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._id, self._replies, self.events = 0, {}, []
        self._q: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.call("Target.attachToTarget", targetId=page["targetId"], flatten=True)["sessionId"]

    def _read(self):
        buf = b""
        while True:
            chunk = os.read(self._r, 1 << 16)
            if not chunk:
                return
            buf += chunk
            while b"\0" in buf:
                msg, buf = buf.split(b"\0", 1)
                self._q.put(json.loads(msg))

    def call(self, method, session=None, timeout=30.0, **params):
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        end = time.monotonic() + timeout
        while True:
            m = self._q.get(timeout=max(0.1, end - time.monotonic()))
            if m.get("id") == self._id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def page(self, method, **params):
        return self.call(method, session=self.session, **params)

    def js(self, expr):
        r = self.page("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(r["exceptionDetails"])
        return r["result"].get("value")

    def wait_event(self, name, timeout=30.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if any(e.get("method") == name for e in self.events):
                return
            try:
                self.events.append(self._q.get(timeout=0.2))
            except queue.Empty:
                pass
        raise TimeoutError(name)

    def click(self, x, y):
        for kind in ("mousePressed", "mouseReleased"):
            self.page("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:  # noqa: BLE001
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self._w)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    result = small_result(folder)
    return result, outputs.write_all(result, folder / "out" / "report.gpkg")


@pytest.fixture(scope="module")
def browser(written, tmp_path_factory):
    b = Browser(str(tmp_path_factory.mktemp("profile")))
    b.page("Network.enable")
    b.page("Page.enable")
    b.page("Runtime.enable")
    b.page("Page.navigate", url=written[1].html.resolve().as_uri())
    b.wait_event("Page.loadEventFired")
    yield b
    b.close()


def test_the_page_renders_with_its_figures(browser, written):
    result, _ = written
    assert browser.js("document.title").startswith(result.scope)
    text = browser.js("document.body.innerText")
    assert "要点 Headline" in text and "潜力 potential" in text and "已建 / 在建" in text
    assert browser.js("document.querySelectorAll('figure.chart img').length") == 7
    assert browser.js("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")


def test_the_economics_section_renders(browser, written):
    result, _ = written
    econ = browser.js("document.getElementById('economics').innerText")
    assert "投资 capex" in econ and "静态回收期" in econ and "万元" in econ
    assert browser.js("document.querySelectorAll('#table-economics tbody tr').length") == int(
        result.summary["level"].isin(("district", "street", "department")).sum())
    # the tornado chart has drawn (a decoded PNG with width) inside the section
    assert browser.js("Array.from(document.querySelectorAll('#economics img')).map(i => i.naturalWidth)")[0] > 0
    assert browser.js("document.querySelectorAll('#table-scenarios tbody tr').length") == len(result.scenarios)


def test_the_map_draws_every_roof(browser, written):
    result, _ = written
    n = int(result.roofs.geometry.notna().sum())
    assert browser.js("pvsiteMap.total()") == n
    assert browser.js("pvsiteMap.drawnCount()") == n


def test_a_click_on_a_roof_opens_its_popup(browser, written):
    result, _ = written
    roof = result.roofs.sort_values("capacity_kw", ascending=False).iloc[0]
    browser.js("document.getElementById('map').scrollIntoView()")
    pt = browser.js(f"pvsiteMap.screenPoint({json.dumps(roof['building_id'])})")
    browser.click(pt["x"], pt["y"])
    assert browser.js("getComputedStyle(document.getElementById('popup')).display") == "block"
    assert browser.js("document.getElementById('popup').dataset.id") == roof["building_id"]
    popup = browser.js("document.getElementById('popup').innerText")
    assert roof["name"] in popup and roof["street"] in popup and roof["class_zh"] in popup
    kw = browser.js(f"(+{round(float(roof['capacity_kw']), 1)}).toLocaleString('zh-CN',{{maximumFractionDigits:1}})")
    assert f"{kw} kW" in popup


def test_the_street_filter_hides_other_roofs(browser, written):
    result, _ = written
    n = int((result.roofs["street"] == STREETS[1]).sum())
    assert 0 < n < len(result.roofs)
    browser.js(f"var s=document.getElementById('f-street'); s.value={json.dumps(STREETS[1])};"
               "s.dispatchEvent(new Event('change'))")
    assert browser.js("pvsiteMap.drawnCount()") == n
    browser.js("var s=document.getElementById('f-street'); s.value=''; s.dispatchEvent(new Event('change'))")
    assert browser.js("pvsiteMap.drawnCount()") == len(result.roofs)


def test_zoom_buttons_and_wheel_change_the_view(browser):
    s0 = browser.js("pvsiteMap.view().s")
    browser.js("document.getElementById('zoom-in').click()")
    s1 = browser.js("pvsiteMap.view().s")
    assert s1 == pytest.approx(s0 * 1.5)
    r = browser.js("(function(){var b=document.getElementById('map').getBoundingClientRect();"
                   "return {x:b.left+b.width/2,y:b.top+b.height/2};})()")
    browser.page("Input.dispatchMouseEvent", type="mouseWheel", x=r["x"], y=r["y"], deltaX=0, deltaY=120)
    assert browser.js("pvsiteMap.view().s") == pytest.approx(s1 * 0.8)


def test_no_request_leaves_the_file(browser):
    urls = [e["params"]["request"]["url"] for e in browser.events if e.get("method") == "Network.requestWillBeSent"]
    assert urls, "the page load itself is a request"
    assert all(u.startswith(("file://", "data:")) for u in urls), urls


def test_the_pdf_is_written(written):
    _, out = written
    assert out.pdf is not None and out.pdf.read_bytes()[:5] == b"%PDF-"
    assert out.pdf.stat().st_size > 50_000   # charts and the static map are in it
