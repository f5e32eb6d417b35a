"""Page routes: each renders a template whose ES module does the work through the JSON API."""

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, send_from_directory

from bikeshare.faults.models import FAULT_KINDS
from bikeshare.passes.fares import PASS_KINDS
from bikeshare.stations.models import FillLevel
from cardapi.models import FACILITY_KINDS
from cardapi.schemas import BENEFIT_CATEGORIES
from core.accounts.models import ROLES
from core.districts import DISTRICTS
from core.eligibility import GRANTED_CATEGORIES
from web import i18n

blp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/assets")

ONE_YEAR = 365 * 24 * 3600


def _page(template: str, **context):
    language = i18n.current_language()
    response = render_template(f"web/{template}", messages=i18n.catalogue(language), **context)
    return response, 200, {"Vary": "Cookie, Accept-Language", "Cache-Control": "no-cache"}


@blp.get("/")
def home():
    return _page("home.html")


@blp.get("/card")
def card():
    return _page("card.html", districts=DISTRICTS)


@blp.get("/desk")
def desk():
    return _page("desk.html")


@blp.get("/ride")
def ride():
    return _page("ride.html", pass_kinds=PASS_KINDS.values(), fault_kinds=FAULT_KINDS)


@blp.get("/admin")
def admin():
    return _page(
        "admin.html",
        districts=DISTRICTS,
        facility_kinds=FACILITY_KINDS,
        benefit_categories=BENEFIT_CATEGORIES,
        granted_categories=GRANTED_CATEGORIES,
        roles=ROLES,
    )


@blp.get("/ops")
def ops():
    settings = current_app.config
    return _page(
        "ops.html",
        districts=DISTRICTS,
        fill_levels=tuple(FillLevel),
        tile_url=settings["WEB_MAP_TILE_URL"],
        tile_attribution=settings["WEB_MAP_TILE_ATTRIBUTION"],
    )


@blp.get("/docs")
def docs():
    return _page("docs.html")


def _is_own_page(path: str) -> bool:
    """A path on this site. Browsers drop tabs and line breaks inside a URL and read a backslash as a slash, so
    a slash, a tab and "/evil.example" is "//evil.example" to them: no control character, space or backslash."""
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in path) or "\\" in path:
        return False
    return path.startswith("/") and not path.startswith("//")


@blp.get("/lang/<language>")
def choose_language(language):
    """Remember the language switch in a cookie and go back to the page it was chosen on."""
    if language not in i18n.LANGUAGES:
        abort(404)
    back = request.args.get("next", "/")
    if not _is_own_page(back):
        back = "/"  # only this site's own pages, never an open redirect
    response = redirect(back, 303)
    response.set_cookie(i18n.LANGUAGE_COOKIE, language, max_age=ONE_YEAR, samesite="Lax", httponly=True)
    return response


@blp.get("/sw.js")
def service_worker():
    """The card's service worker, served from the root so its scope covers /card."""
    response = send_from_directory(blp.static_folder, "js/sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@blp.get("/manifest.webmanifest")
def manifest():
    """The citizen card as an installable app, named in the visitor's language."""
    body = {
        "name": i18n.translate("card.app_name"),
        "short_name": i18n.translate("card.short_name"),
        "lang": i18n.current_language(),
        "start_url": "/card",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b4f8a",
        "icons": [{"src": "/assets/icon.svg", "sizes": "any", "type": "image/svg+xml"}],
    }
    return jsonify(body), 200, {"Content-Type": "application/manifest+json", "Vary": "Cookie, Accept-Language"}
