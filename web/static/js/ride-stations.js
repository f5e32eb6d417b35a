// Stations near a point: a numbered list with live bikes and free docks, and the same numbers on a plain
// position plot (no map tiles: nothing may load from another origin, and the list is the accessible view).
import { $, oneAtATime } from "./dom.js";
import { anonymous } from "./api.js";
import { t } from "./i18n.js";

const SVG = "http://www.w3.org/2000/svg";
const METRES_PER_DEGREE = 111_320;
const PLOT_RADIUS = 100; // the viewBox reaches ±110 around the searched point

/** One list item: the station's facts and the one action that makes sense now (rent, or return while riding). */
export function stationItem(station, { riding, signedIn, onRent, onReturn }) {
  const item = document.createElement("li");
  const values = {
    name: station.name,
    distance: station.distance_m,
    bikes: station.bikes_available,
    docks: station.docks_available,
  };
  const facts = station.has_room ? t("ride.station", values) : t("ride.station_full", values);
  item.append(facts, " ");
  const button = document.createElement("button");
  button.type = "button";
  if (riding) {
    // A full station stays choosable: the refusal names the nearest stations with room.
    button.textContent = t("ride.return_here", { name: station.name });
    button.addEventListener("click", () => oneAtATime(button, () => onReturn(station)));
  } else {
    button.textContent = t("ride.rent_here", { name: station.name });
    button.disabled = station.bikes_available === 0 || !signedIn;
    button.addEventListener("click", () => oneAtATime(button, () => onRent(station)));
  }
  item.append(button);
  return item;
}

function mark(plot, name, attributes, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  if (text !== undefined) element.textContent = text;
  plot.append(element);
}

/** The stations' positions around the searched point, numbered as in the list. */
function drawPlot(stations, centre, radius) {
  const plot = $("plot");
  plot.replaceChildren();
  const scale = PLOT_RADIUS / Math.max(radius, 1);
  const across = METRES_PER_DEGREE * Math.cos((centre.lat * Math.PI) / 180);
  mark(plot, "circle", { cx: 0, cy: 0, r: PLOT_RADIUS, class: "plot-range" });
  mark(plot, "path", { d: "M -6 0 H 6 M 0 -6 V 6", class: "plot-here" });
  stations.forEach((station, index) => {
    const x = Math.max(-PLOT_RADIUS, Math.min(PLOT_RADIUS, (station.lon - centre.lon) * across * scale));
    const y = Math.max(-PLOT_RADIUS, Math.min(PLOT_RADIUS, -(station.lat - centre.lat) * METRES_PER_DEGREE * scale));
    const state = station.bikes_available === 0 ? "plot-empty" : station.has_room ? "plot-normal" : "plot-full";
    mark(plot, "circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: 7, class: `plot-station ${state}` });
    mark(plot, "text", { x: (x + 9).toFixed(1), y: (y + 3).toFixed(1), class: "plot-number" }, String(index + 1));
  });
  $("plot-caption").textContent = t("ride.plot_caption", { count: stations.length, radius });
  $("plot-figure").hidden = stations.length === 0;
}

/** Find the stations near the form's point and show them; returns how many were found. */
export async function findStations(actions) {
  const form = $("find");
  const query = new URLSearchParams({
    lat: form.elements.lat.value,
    lon: form.elements.lon.value,
    radius_m: form.elements.radius_m.value,
  });
  const stations = await anonymous(`/stations?${query}`);
  $("stations").replaceChildren(...stations.map((station) => stationItem(station, actions)));
  const centre = { lat: Number(form.elements.lat.value), lon: Number(form.elements.lon.value) };
  drawPlot(stations, centre, Number(form.elements.radius_m.value));
  return stations;
}

/** A chosen place fills the form's point (the rider then asks to find); the device's position finds at once. */
export function choosePlace(onLocated, onUnknown) {
  const form = $("find");
  $("place").addEventListener("change", (event) => {
    const option = event.target.selectedOptions[0];
    if (!option.value) return;
    form.elements.lat.value = option.dataset.lat;
    form.elements.lon.value = option.dataset.lon;
  });
  $("locate").addEventListener("click", () => {
    navigator.geolocation.getCurrentPosition(
      (position) => {
        form.elements.lat.value = position.coords.latitude.toFixed(5);
        form.elements.lon.value = position.coords.longitude.toFixed(5);
        $("place").value = "";
        onLocated();
      },
      onUnknown,
    );
  });
}
