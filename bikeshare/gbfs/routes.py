"""GBFS files at /gbfs/{version}/{feed}.json: public, cacheable for their `ttl`, readable from any web origin."""

from flask import current_app
from flask_smorest import Blueprint

from bikeshare.gbfs import services

blp = Blueprint("gbfs", __name__, url_prefix="/gbfs", description="GBFS 2.3 and 3.0 feeds (gbfs.org)")


@blp.get("/<version>/<feed>.json")
@blp.response(200, description="The file, as the GBFS specification of that version defines it.")
@blp.alt_response(404, response="NOT_FOUND")
def gbfs_file(version, feed):
    """A GBFS file; start from gbfs.json (versions 2.3 and 3.0)."""
    body, ttl = services.document(version=version, feed=feed)
    headers = {
        # A cache may keep the file exactly as long as the file itself says it stays current.
        "Cache-Control": f"public, max-age={ttl}" if ttl else "no-cache",
        "Access-Control-Allow-Origin": "*",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    return current_app.response_class(body, mimetype="application/json", headers=headers)
