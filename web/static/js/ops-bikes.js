// Bikes that need a person: open fault reports to inspect (back to service or to repair), and bikes and
// stations that see little use (relocation candidates).
import { $, oneAtATime } from "./dom.js";
import { api } from "./api.js";
import { formatTime, t } from "./i18n.js";
import { act, button, failed, say, stationName, stationOf } from "./ops-shared.js";

const UNDERUSED_LIMIT = 10;
let options = {};

async function inspect(reported, outcome) {
  const bike = reported.bike;
  try {
    await act(`/ops/bikes/${encodeURIComponent(bike.id)}/inspection`, { outcome });
    if (bike.station_id !== null) await options.refreshStation(bike.station_id);
    await loadFaults();
    say(t(`ops.inspected.${outcome}`, { bike: bike.id }));
    $("faults-title").focus();
  } catch (error) {
    failed(error);
  }
}

function faultItem(reported) {
  const item = document.createElement("li");
  const bike = reported.bike;
  const where = bike.station_id === null ? t(`ops.bike_status.${bike.status}`) : stationName(bike.station_id);
  const text = document.createElement("p");
  text.textContent = t("ops.fault_line", {
    bike: bike.id,
    where,
    kinds: reported.kinds.map((kind) => t(`ops.fault.${kind}`)).join(", "),
    reporters: reported.reporters,
    since: formatTime(reported.first_reported_at),
  });
  const back = t("ops.return_to_service");
  const repair = t("ops.send_to_repair");
  const actions = document.createElement("div");
  actions.className = "actions";
  actions.append(
    button(back, (event) => oneAtATime(event.currentTarget, () => inspect(reported, "return_to_service")), {
      label: `${back}: ${bike.id}`,
    }),
    button(repair, (event) => oneAtATime(event.currentTarget, () => inspect(reported, "send_to_repair")), {
      label: `${repair}: ${bike.id}`,
      kind: "danger",
    }),
  );
  item.append(text, actions);
  return item;
}

async function loadFaults() {
  try {
    const reported = await api("/ops/faults");
    const parked = reported.map((r) => r.bike.station_id).filter((id) => id !== null);
    await Promise.all([...new Set(parked)].map(stationOf));
    $("faults").replaceChildren(...(reported.length ? reported.map(faultItem) : [textItem(t("ops.no_faults"))]));
  } catch (error) {
    failed(error);
  }
}

function textItem(text) {
  const item = document.createElement("li");
  item.textContent = text;
  return item;
}

async function loadUnderused() {
  try {
    const [quiet, idle] = await Promise.all([
      api(`/ops/underused/stations?limit=${UNDERUSED_LIMIT}`),
      api(`/ops/underused/bikes?limit=${UNDERUSED_LIMIT}`),
    ]);
    const named = new Set([...quiet.stations.map((s) => s.station_id), ...idle.map((bike) => bike.station_id)]);
    await Promise.all([...named].map(stationOf));
    $("underused-stations").replaceChildren(
      ...(quiet.stations.length ? quiet.stations.map(quietStation) : [textItem(t("ops.none"))]),
    );
    $("underused-bikes").replaceChildren(...(idle.length ? idle.map(idleBike) : [textItem(t("ops.none"))]));
  } catch (error) {
    failed(error);
  }
}

function idleBike(bike) {
  const days = Math.floor(bike.idle_days);
  return textItem(t("ops.idle_bike", { bike: bike.bike_id, name: stationName(bike.station_id), days }));
}

function quietStation(station) {
  const item = document.createElement("li");
  const name = stationName(station.station_id);
  item.append(
    button(name, () => options.choose(station.station_id), { kind: "link" }),
    " ",
    t("ops.turnover", { turnover: station.turnover_per_dock_day.toFixed(2), bikes: station.bikes_parked }),
  );
  return item;
}

export function initBikes(given) {
  options = given;
  $("faults-refresh").addEventListener("click", loadFaults);
  loadFaults();
  loadUnderused();
}
