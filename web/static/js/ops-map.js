// The operations map: stations as circles coloured by fill level (colours in ops.css, shared with the
// legend), truck routes as lines. With no tile server configured it draws on a plain background, so it
// works offline; every action here is also reachable from the lists beside it.
import * as L from "../vendor/leaflet/leaflet-src.esm.js";
import { t } from "./i18n.js";

const SEOUL_CITY_HALL = [37.5663, 126.9779];
const FILL_CLASSES = ["fill-empty", "fill-low", "fill-normal", "fill-high", "fill-over_docks"];
const ROUTE_STYLES = 6; // route-0 … route-5 in ops.css
const STATION_STYLE = { radius: 7, weight: 2, fillOpacity: 1, className: "station" };
const STOP_ANCHOR = [-8, 24]; // a stop's number sits up and to the right of its station's circle

let map;
let stationLayer;
let routeLayer;
const markers = new Map();
let selected = null;

export function createMap(element, onChoose) {
  map = L.map(element, { center: SEOUL_CITY_HALL, zoom: 11, zoomControl: false, attributionControl: false });
  L.control.zoom({ zoomInTitle: t("ops.zoom_in"), zoomOutTitle: t("ops.zoom_out") }).addTo(map);
  const { tileUrl, tileAttribution } = element.dataset;
  if (tileUrl) {
    L.tileLayer(tileUrl, { attribution: tileAttribution, maxZoom: 19 }).addTo(map);
    L.control.attribution({ prefix: false }).addTo(map);
  }
  routeLayer = L.layerGroup().addTo(map);
  stationLayer = L.featureGroup().addTo(map); // a feature group passes its circles' clicks on
  stationLayer.on("click", (event) => onChoose(event.layer.stationId));
}

function paint(marker, station) {
  const path = marker.getElement();
  path.classList.remove(...FILL_CLASSES);
  path.classList.add(`fill-${station.fill_level}`);
  path.setAttribute("data-fill", station.fill_level);
  path.setAttribute("data-bikes", String(station.bikes_parked));
}

/** Draw these stations (replacing the ones drawn), and fit the view to them unless told not to. */
export function drawStations(stations, { fit = true } = {}) {
  stationLayer.clearLayers();
  markers.clear();
  for (const station of stations) {
    const marker = L.circleMarker([station.lat, station.lon], STATION_STYLE);
    marker.stationId = station.id;
    marker.addTo(stationLayer);
    marker.getElement().setAttribute("data-station", String(station.id));
    paint(marker, station);
    markers.set(station.id, marker);
  }
  if (selected !== null) select(selected);
  if (fit && stations.length) {
    map.fitBounds(L.latLngBounds(stations.map((s) => [s.lat, s.lon])), { padding: [24, 24], maxZoom: 15 });
  }
}

/** Repaint one station after its stock changed. */
export function updateStation(station) {
  const marker = markers.get(station.id);
  if (marker) paint(marker, station);
}

/** Ring the chosen station and bring it into view. */
export function select(stationId) {
  markers.get(selected)?.getElement().classList.remove("selected");
  selected = stationId;
  const marker = markers.get(stationId);
  if (!marker) return;
  marker.getElement().classList.add("selected");
  marker.bringToFront();
  map.panTo(marker.getLatLng());
}

/** Each truck's route as a line through its stops, in the order it drives them, each stop numbered as in
 * the truck's task list (a station visited twice shows both numbers). */
export function drawRoutes(routes, stationOf) {
  routeLayer.clearLayers();
  routes.forEach((route, index) => {
    const style = `route-${index % ROUTE_STYLES}`;
    const visits = new Map(); // station id -> its stop numbers on this route
    route.stops.forEach((stop, order) => {
      visits.set(stop.station_id, [...(visits.get(stop.station_id) ?? []), order + 1]);
    });
    const points = route.stops.map((stop) => stationOf(stop.station_id)).filter(Boolean);
    if (points.length > 1) {
      const options = { weight: 4, interactive: false, className: `route ${style}` };
      const line = L.polyline(points.map((s) => [s.lat, s.lon]), options);
      line.addTo(routeLayer);
      line.getElement().setAttribute("data-truck", String(route.truck_id));
    }
    for (const [stationId, numbers] of visits) {
      const station = stationOf(stationId);
      if (!station) continue;
      // Numbers only: the icon's html is set as markup, so nothing from the data goes into it.
      const label = { className: `stop-number ${style}`, html: numbers.join("·"), iconSize: null };
      const icon = L.divIcon({ ...label, iconAnchor: STOP_ANCHOR });
      L.marker([station.lat, station.lon], { icon, keyboard: false, interactive: false }).addTo(routeLayer);
    }
  });
}
