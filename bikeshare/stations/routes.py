"""Public station endpoints: riders look before they log in."""

from flask_smorest import Blueprint

from bikeshare.stations import services
from bikeshare.stations.schemas import NearbyStationSchema, NearestQuerySchema, StationSchema

blp = Blueprint("stations", __name__, url_prefix="/api/v1", description="Bike stations")


@blp.get("/stations")
@blp.arguments(NearestQuerySchema(), location="query")
@blp.response(200, NearbyStationSchema(many=True))
def nearest(query):
    """Stations near a point, nearest first, with live bike and dock counts."""
    return services.nearest_stations(**query)


@blp.get("/stations/<int:station_id>")
@blp.response(200, StationSchema)
@blp.alt_response(404, response="NOT_FOUND")
def station(station_id):
    """One station with its live bike and dock counts."""
    return services.get_station(station_id=station_id)
