"""Open aggregate data for citizens: public, anonymous, small counts suppressed; JSON and CSV."""

from flask import current_app, request
from flask_smorest import Blueprint

from bikeshare.network.schemas import OpenDistrictsSchema, OpenStationHoursQuerySchema, OpenStationHoursSchema

blp = Blueprint(
    "bike_open_data",
    __name__,
    url_prefix="/api/v1/open-data",
    description="Open data: anonymous bike share aggregates (KOGL Type 1)",
)
CSV_HEADERS = {"Content-Disposition": "attachment", "Access-Control-Allow-Origin": "*"}


def _csv(text: str):
    return current_app.response_class(text, mimetype="text/csv", headers=CSV_HEADERS)


def _station_hours(query: dict, form: str, mimetype: str):
    """The table, cacheable by anyone for its `ttl` and revalidated by its ETag, as the GBFS files are."""
    from bikeshare.network import open_data

    table = open_data.station_hours_file(**query, form=form, client_address=request.remote_addr)
    headers = {
        **(CSV_HEADERS if form == "csv" else {"Access-Control-Allow-Origin": "*"}),
        "Cache-Control": f"public, max-age={table.ttl}" if table.ttl else "no-cache",
    }
    response = current_app.response_class(table.text, mimetype=mimetype, headers=headers)
    response.set_etag(table.tag)
    return response.make_conditional(request)


@blp.get("/station-hours.json")
@blp.arguments(OpenStationHoursQuerySchema(), location="query")
@blp.response(200, OpenStationHoursSchema)
@blp.alt_response(304, description="Not modified: the table the If-None-Match ETag names is current.")
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def station_hours(query):
    """Rentals and returns per station, day type and hour, and time empty or full; counts 1-4 suppressed."""
    return _station_hours(query, "json", "application/json")


@blp.get("/station-hours.csv")
@blp.arguments(OpenStationHoursQuerySchema(), location="query")
@blp.response(200, description="The same rows as station-hours.json, as CSV.", content_type="text/csv")
@blp.alt_response(304, description="Not modified: the table the If-None-Match ETag names is current.")
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def station_hours_csv(query):
    """The station-hours table as CSV (suppressed counts are empty cells)."""
    return _station_hours(query, "csv", "text/csv")


@blp.get("/network-districts.json")
@blp.response(200, OpenDistrictsSchema)
@blp.alt_response(404, response="NOT_FOUND")
def network_districts():
    """The latest network report's district table: demand, use per dock, riders turned away, docks."""
    from bikeshare.network import open_data

    return open_data.network_districts()


@blp.get("/network-districts.csv")
@blp.response(200, description="The same table as network-districts.json, as CSV.", content_type="text/csv")
@blp.alt_response(404, response="NOT_FOUND")
def network_districts_csv():
    """The latest network report's district table as CSV."""
    from bikeshare.network import open_data

    districts = open_data.network_districts()["districts"]
    return _csv(open_data.as_csv(districts, districts[0].keys() if districts else ()))
