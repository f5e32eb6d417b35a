"""Every page in Korean and English, at phone and tablet sizes: axe finds nothing, nothing leaves the origin."""

import json
from pathlib import Path

import pytest

from tests.web.conftest import SIZES, Visit, axe_violations, screenshot, serving

pytestmark = pytest.mark.browser

CATALOGUES = Path(__file__).resolve().parents[2] / "web" / "static" / "i18n"
PAGES = {
    "/": "home.title",
    "/card": "card.title",
    "/desk": "desk.title",
    "/ride": "ride.title",
    "/ops": "ops.title",
    "/admin": "admin.title",
    "/docs": "docs.title",
}
# Swagger UI is third-party markup we do not control; axe checks the page around it.
AXE_EXCLUDE = {"/docs": ("#swagger",)}


@pytest.mark.parametrize("language", ["ko", "en"])
def test_every_page_speaks_the_language_and_passes_axe(visit, language):
    messages = json.loads((CATALOGUES / f"{language}.json").read_text())
    device = visit(language=language)

    for path, title in PAGES.items():
        page = device.open(path)
        page.wait_for_load_state("networkidle")

        assert page.locator("html").get_attribute("lang") == language
        assert page.get_by_role("heading", level=1).first.inner_text() == messages[title]
        assert axe_violations(page, exclude=AXE_EXCLUDE.get(path, ())) == []
        for size, viewport in SIZES.items():
            page.set_viewport_size(viewport)
            screenshot(page, f"{path.strip('/') or 'home'}-{language}-{size}")


def test_docs_page_shows_the_api_offline(visit):
    device = visit(language="en")
    page = device.open("/docs")
    device.context.set_offline(True)

    page.get_by_role("heading", name="Seoul citizen card and public bike API").wait_for()
    assert page.get_by_text("/api/v1/verifications").first.is_visible()


def test_docs_page_asks_no_other_origin_to_check_the_api(app, browser):
    # Swagger UI treats a document at localhost or 127.0.0.1 as a developer's (no validator badge, for one);
    # 127.0.0.2, loopback too, stands for the service's real host.
    with serving(app, "127.0.0.2") as base_url:
        device = Visit(browser, base_url, language="en")
        page = device.open("/docs")
        page.get_by_role("heading", name="Seoul citizen card and public bike API").wait_for()
        page.evaluate("() => new Promise((settled) => setTimeout(settled, 200))")  # what it would fetch is asked by now
        device.close()  # no request to another origin, nothing refused by the CSP


def test_language_switch_is_remembered_across_pages(visit):
    page = visit(language="ko").open("/")

    page.get_by_role("link", name="English").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Seoul citizen card and public bikes"
    page.get_by_role("link", name="Facility desk").click()

    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Facility desk"
