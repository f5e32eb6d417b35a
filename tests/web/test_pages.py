"""The pages as HTTP answers: language choice, the page CSP, catalogues and vendored files."""

import hashlib
import json
import re
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "web"
PAGES = ("/", "/card", "/desk", "/ride", "/ops", "/admin", "/docs")
CATALOGUES = {
    language: json.loads((WEB / "static" / "i18n" / f"{language}.json").read_text()) for language in ("ko", "en")
}
# t("key") in templates and modules, translate("key") in Python; keys built at run time
# (card.status.*, reason.*, category.*, ops.fill.* ...) are listed by prefix.
USED_KEY = re.compile(r"""\b(?:t|translate)\(\s*["']([a-z_]+\.[a-z_.0-9]+)["']""")
BUILT_PREFIXES = (
    "card.status.",
    "reason.",
    "category.",
    "language.",
    "admin.kind.",
    "admin.role.",
    "admin.card_status.",
    "ride.fault.",
    "ride.place.",
    "ride.charge.",
    "ops.fill.",
    "ops.task.",
    "ops.fault.",
    "ops.bike_status.",
    "ops.inspected.",
)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_served_with_a_strict_csp(client, path):
    response = client.get(path)

    assert response.status_code == 200
    policy = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == policy["script-src"] == policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"


@pytest.mark.parametrize("path", PAGES)
def test_pages_have_no_inline_script_or_style_and_name_no_other_origin(client, path):
    html = client.get(path).get_data(as_text=True)

    assert re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html) == []
    assert "<style" not in html and " style=" not in html
    assert re.findall(r"""(?:src|href)=["'](?:https?:)?//""", html) == []


@pytest.mark.parametrize(
    ("accept_language", "cookie", "expected"),
    [("ko-KR,ko;q=0.9", None, "ko"), ("en-US,en;q=0.8", None, "en"), ("fr-FR", None, "ko"), ("ko", "en", "en")],
)
def test_language_follows_the_switch_then_accept_language_then_korean(client, accept_language, cookie, expected):
    if cookie:
        client.set_cookie("lang", cookie)
    html = client.get("/card", headers={"Accept-Language": accept_language}).get_data(as_text=True)

    assert f'<html lang="{expected}">' in html
    assert f"<h1>{CATALOGUES[expected]['card.title']}</h1>" in html


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        # Browsers drop tabs and line breaks from a URL, so these read as //evil.example.
        "/\t/evil.example",
        "/\n/evil.example",
        "/ride\r\nSet-Cookie: lang=xx",  # a header value cannot hold a line break: this was a 500
    ],
)
def test_language_switch_goes_back_only_to_this_site(client, target):
    response = client.get("/lang/en", query_string={"next": target})

    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert "lang=en" in response.headers["Set-Cookie"]


def test_language_switch_returns_to_the_page_and_refuses_unknown_languages(client):
    assert client.get("/lang/en?next=/desk").headers["Location"] == "/desk"
    assert client.get("/lang/fr").status_code == 404


def test_catalogues_hold_the_same_keys_and_every_key_the_pages_use():
    used = set()
    for path in [*WEB.glob("templates/**/*.html"), *WEB.glob("static/js/*.js"), *WEB.glob("*.py")]:
        used |= set(USED_KEY.findall(path.read_text()))

    assert CATALOGUES["ko"].keys() == CATALOGUES["en"].keys()
    assert used - CATALOGUES["ko"].keys() == set()
    unused = {key for key in CATALOGUES["ko"].keys() - used if not key.startswith(BUILT_PREFIXES)}
    assert unused == set()


def test_docs_page_loads_swagger_ui_from_this_service(client):
    html = client.get("/docs").get_data(as_text=True)

    for asset in ("vendor/swagger-ui-dist/swagger-ui-bundle.js", "vendor/swagger-ui-dist/swagger-ui.css"):
        assert f"/assets/{asset}" in html
        assert client.get(f"/assets/{asset}").status_code == 200


def test_vendored_files_match_the_manifest_and_carry_a_licence():
    manifest = json.loads((WEB / "static" / "vendor" / "manifest.json").read_text())

    for package in manifest["packages"]:
        folder = WEB.parent / package["folder"]
        assert "LICENSE" in package["files"], package["name"]
        for name, digest in package["files"].items():
            assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, f"{package['name']}/{name}"


def test_card_manifest_is_named_in_the_visitors_language(client):
    body = client.get("/manifest.webmanifest", headers={"Accept-Language": "en"}).get_json()

    assert body["name"] == CATALOGUES["en"]["card.app_name"] and body["start_url"] == "/card"
