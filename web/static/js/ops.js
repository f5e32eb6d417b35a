// The operations console: the station map and list by fill level, a station's detail with its demand by
// hour, plans with per-truck tasks (ops-work.js), bikes with fault reports and underused ones (ops-bikes.js).
import { $, fact, oneAtATime } from "./dom.js";
import { api, saveTokens, signedIn } from "./api.js";
import { t } from "./i18n.js";
import { createMap, drawStations, select, updateStation } from "./ops-map.js";
import { button, failed, say, stations } from "./ops-shared.js";
import { dock, dockTrucks, initWork } from "./ops-work.js";
import { initBikes } from "./ops-bikes.js";

// Worst first in the list: riders find no bike, then stations too full to take returns.
const URGENCY = ["empty", "over_docks", "low", "high", "normal"];
let chosen = null;

function fillText(station) {
  return t(`ops.fill.${station.fill_level}`);
}

function stationRow(station) {
  const row = document.createElement("tr");
  row.dataset.station = station.id;
  const name = document.createElement("th");
  name.scope = "row";
  name.append(button(station.name, () => choose(station.id), { kind: "link" }));
  const bikes = document.createElement("td");
  bikes.textContent = String(station.bikes_available);
  const docks = document.createElement("td");
  docks.textContent = String(station.docks);
  const fill = document.createElement("td");
  const swatch = document.createElement("span");
  swatch.className = `swatch fill-${station.fill_level}`;
  swatch.setAttribute("aria-hidden", "true");
  fill.append(swatch, fillText(station));
  row.append(name, bikes, docks, fill);
  return row;
}

function showList(list) {
  const sorted = [...list].sort(
    (a, b) => URGENCY.indexOf(a.fill_level) - URGENCY.indexOf(b.fill_level) || a.name.localeCompare(b.name),
  );
  $("station-rows").replaceChildren(...sorted.map(stationRow));
  $("stations-summary").textContent = t("ops.stations_shown", { count: list.length });
  for (const level of URGENCY) {
    const count = list.filter((station) => station.fill_level === level).length;
    document.querySelector(`[data-count="${level}"]`).textContent = `(${count})`;
  }
}

/** The stations of the filters; `fit` frames them on the map (a refresh keeps the operator's view). */
async function loadStations({ fit = true } = {}) {
  const query = new URLSearchParams([...new FormData($("filters"))].filter(([, value]) => value !== ""));
  try {
    const list = await api(`/ops/stations?${query}`);
    for (const station of list) stations.set(station.id, station);
    drawStations(list, { fit });
    showList(list);
  } catch (error) {
    failed(error);
  }
}

// The district as the filter names it in the page's language (the API gives the Korean name).
function districtName(district) {
  return $("filters").elements.district.querySelector(`option[value="${district}"]`)?.textContent ?? district;
}

function showDetail(station) {
  $("detail-title").textContent = station.name;
  const facts = $("detail-facts");
  facts.replaceChildren();
  fact(facts, t("ops.district_label"), districtName(station.district));
  fact(facts, t("ops.col_fill"), fillText(station));
  fact(facts, t("ops.bikes_available"), String(station.bikes_available));
  fact(facts, t("ops.bikes_held"), String(station.bikes_held));
  fact(facts, t("ops.col_docks"), t("ops.docks_fact", { docks: station.docks, free: station.docks_available }));
  fact(facts, t("ops.room"), String(station.room));
  dockTrucks($("dock").elements.truck);
}

function hourRow(hour) {
  const row = document.createElement("tr");
  const name = document.createElement("th");
  name.scope = "row";
  name.textContent = t("ops.hour", { hour: hour.hour });
  row.append(name);
  for (const rate of [hour.rent_per_h, hour.return_per_h]) {
    const cell = document.createElement("td");
    cell.textContent = rate.toFixed(1);
    row.append(cell);
  }
  return row;
}

async function showDemand() {
  const stationId = chosen;
  if (stationId === null) return;
  try {
    const demand = await api(`/ops/demand?station_id=${stationId}&day_type=${$("day-type").value}`);
    if (chosen === stationId) $("demand-rows").replaceChildren(...demand.hours.map(hourRow));
  } catch (error) {
    failed(error);
  }
}

/** Open a station's detail (from its marker or its row) and its demand by hour. */
async function choose(stationId) {
  chosen = stationId;
  select(stationId);
  try {
    await refreshStation(stationId);
  } catch (error) {
    failed(error);
    return;
  }
  $("detail").hidden = false;
  $("demand-rows").replaceChildren();
  $("detail-title").focus();
  await showDemand();
}

/** Fetch one station again after bikes moved, and repaint its marker, its row and its detail. */
export async function refreshStation(stationId) {
  const station = await api(`/ops/stations/${stationId}`);
  stations.set(stationId, station);
  updateStation(station);
  const row = document.querySelector(`#station-rows tr[data-station="${stationId}"]`);
  row?.replaceWith(stationRow(station));
  if (chosen === stationId) showDetail(station);
  return station;
}

$("dock").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const count = form.elements.count.value ? Number(form.elements.count.value) : undefined;
  await oneAtATime(form, () => dock(Number(form.elements.truck.value), chosen, count));
  dockTrucks(form.elements.truck); // the button stays off when no truck carries bikes any more
});

function start() {
  $("login").hidden = true;
  $("console").hidden = false;
  createMap($("map"), choose);
  initWork({ refreshStation });
  initBikes({ choose, refreshStation });
  $("filters").addEventListener("change", () => loadStations());
  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    loadStations({ fit: false });
  });
  $("day-type").addEventListener("change", showDemand);
  loadStations();
}

$("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    saveTokens(await api("/auth/login", { method: "POST", body: Object.fromEntries(new FormData(event.target)) }));
    say(t("card.signed_in"));
    start();
  } catch (error) {
    failed(error);
  }
});

if (signedIn()) start();
else $("login").hidden = false;
