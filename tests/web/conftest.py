"""Pages in a real headless Chromium against a real server (werkzeug in a thread) on the test databases.

Every browser context records the requests it makes and the console errors it sees; a test fails if a page
asked another origin for anything or the Content-Security-Policy refused something.
"""

import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

JSQR = Path(__file__).resolve().parents[2] / "web" / "static" / "vendor" / "jsqr" / "jsQR.js"
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
SIZES = {"phone": {"width": 390, "height": 844}, "tablet": {"width": 820, "height": 1180}}
LOCALES = {"ko": "ko-KR", "en": "en-US"}


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


@contextmanager
def serving(app, host: str = "127.0.0.1"):
    """The app at http://HOST:PORT. Any loopback address is a secure context, so WebCrypto, IndexedDB and
    service workers work; 127.0.0.2 stands for a real host where a library treats 127.0.0.1 as a developer's."""
    http = make_server(host, 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{http.server_port}"
    finally:
        http.shutdown()
        http.server_close()


@pytest.fixture
def server(app):
    with serving(app) as base_url:
        yield base_url


class Visit:
    """One browser context (one device) on the server, watching what its pages request."""

    def __init__(self, browser, base_url: str, language: str = "ko", size: str = "phone"):
        self.base_url = base_url
        self.context = browser.new_context(locale=LOCALES[language], viewport=SIZES[size])
        self.foreign_requests: list[str] = []
        self.console_errors: list[str] = []
        self.context.on("request", self._watch_request)
        self.page = self.new_page()

    def _watch_request(self, request):
        if urlsplit(request.url).netloc != urlsplit(self.base_url).netloc and not request.url.startswith(
            ("data:", "blob:")
        ):
            self.foreign_requests.append(request.url)

    def new_page(self):
        page = self.context.new_page()
        page.on("console", lambda message: message.type == "error" and self.console_errors.append(message.text))
        return page

    def open(self, path: str):
        self.page.goto(self.base_url + path)
        return self.page

    def close(self):
        self.context.close()
        assert self.foreign_requests == [], "a page asked another origin"
        refused = [text for text in self.console_errors if "Content Security Policy" in text]
        assert refused == [], "the CSP refused something a page needed"


@pytest.fixture
def visit(browser, server):
    opened = []

    def open_visit(**options) -> Visit:
        opened.append(Visit(browser, server, **options))
        return opened[-1]

    yield open_visit
    for each in opened:
        each.close()


def axe_violations(page, exclude: tuple[str, ...] = ()) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now (injected through the debugger, not a tag)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate(
        """async (exclude) => {
            const context = exclude.length ? {exclude: exclude.map((selector) => [selector])} : document;
            const options = {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}};
            const result = await axe.run(context, options);
            return result.violations.map((v) => ({id: v.id, nodes: v.nodes.map((n) => n.target.join(" "))}));
        }""",
        list(exclude),
    )


def screenshot(page, name: str) -> None:
    """Saved for a person to look at (tests/web/screenshots/, git-ignored); never compared."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def decode_qr(page, selector: str = "#qr") -> str:
    """Read the QR off the canvas with the vendored jsQR, as a camera at the desk would."""
    if not page.evaluate("typeof window.jsQR !== 'undefined'"):
        page.evaluate(JSQR.read_text(encoding="utf-8"))  # through the debugger: works offline too
    return page.evaluate(
        """(selector) => {
            const canvas = document.querySelector(selector);
            const image = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
            return jsQR(image.data, image.width, image.height)?.data ?? null;
        }""",
        selector,
    )
