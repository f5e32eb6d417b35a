// Plans and the trucks' work: create a plan, see its routes, pick up and drop off (any count up to what
// is left), and dock whatever a truck carries at any station with room, whatever the plan says.
import { $, oneAtATime } from "./dom.js";
import { api } from "./api.js";
import { t } from "./i18n.js";
import { drawRoutes } from "./ops-map.js";
import { act, button, failed, say, stationName, stationOf, stations } from "./ops-shared.js";

const PLAN = "seoul.ops.plan"; // the plan on screen survives a reload of the tab
const PLAN_TIME_LIMIT_S = 5;
let plan = null;
const trucks = new Map(); // id -> GET /ops/trucks/{id}: load, capacity, bike ids
let refreshStation = async () => {};

function summary() {
  const text = t("ops.plan_summary", {
    id: plan.id,
    moved: plan.bikes_moved,
    km: plan.truck_km.toFixed(1),
    before: plan.dissatisfaction_before.toFixed(1),
    after: plan.dissatisfaction_after.toFixed(1),
  });
  const why = plan.history?.nothing_moved_because;
  return why ? `${text} ${t("ops.nothing_moved", { reason: why })}` : text;
}

function countInput(stop) {
  const label = document.createElement("label");
  label.className = "count";
  const input = document.createElement("input");
  input.type = "number";
  input.min = "1";
  input.max = String(stop.planned - stop.done);
  input.value = String(stop.planned - stop.done);
  input.inputMode = "numeric";
  label.append(t("ops.count"), input);
  return label;
}

function stopItem(stop) {
  const item = document.createElement("li");
  item.dataset.task = stop.id;
  item.tabIndex = -1;
  const name = stationName(stop.station_id);
  const pickup = stop.kind === "pickup";
  const values = { count: stop.planned, name };
  const what = pickup ? t("ops.stop_pickup", values) : t("ops.stop_dropoff", values);
  const progress = t(`ops.task.${stop.status}`, { done: stop.done, planned: stop.planned });
  const text = document.createElement("p");
  text.textContent = `${what} · ${progress}`;
  item.append(text);
  if (stop.status === "open" || stop.status === "partial") {
    const count = countInput(stop);
    const verb = pickup ? t("ops.pickup") : t("ops.dropoff");
    const go = button(verb, () => oneAtATime(go, () => work(stop, Number(count.querySelector("input").value))), {
      label: t("ops.at_station", { action: verb, name }),
    });
    const row = document.createElement("div");
    row.className = "actions";
    row.append(count, go);
    item.append(row);
  }
  return item;
}

function truckCard(route, index) {
  const card = document.createElement("article");
  card.className = "truck";
  card.setAttribute("aria-labelledby", `truck-${route.truck_id}`);
  const title = document.createElement("h3");
  title.id = `truck-${route.truck_id}`;
  const swatch = document.createElement("span");
  swatch.className = `swatch line route-${index % 6}`;
  swatch.setAttribute("aria-hidden", "true");
  title.append(swatch, t("ops.truck", { id: route.truck_id }));
  const truck = trucks.get(route.truck_id);
  const aboard = document.createElement("p");
  aboard.className = "aboard";
  aboard.textContent = truck ? t("ops.aboard", { load: truck.load, capacity: truck.capacity }) : "";
  const stops = document.createElement("ol");
  stops.append(...route.stops.map(stopItem));
  card.append(title, aboard, route.stops.length ? stops : t("ops.no_stops"));
  return card;
}

async function showPlan(focusTask = null) {
  await Promise.all(plan.routes.flatMap((route) => route.stops.map((stop) => stationOf(stop.station_id))));
  const loaded = await Promise.all(plan.routes.map((route) => api(`/ops/trucks/${route.truck_id}`)));
  for (const truck of loaded) trucks.set(truck.id, truck);
  $("plan-summary").textContent = summary();
  $("trucks").replaceChildren(...plan.routes.map(truckCard));
  drawRoutes(plan.routes, (id) => stations.get(id));
  dockTrucks($("dock").elements.truck);
  if (focusTask !== null) {
    const item = document.querySelector(`#trucks [data-task="${focusTask}"]`);
    (item?.querySelector("button") ?? item)?.focus();
  }
}

async function work(stop, count) {
  try {
    const before = stop.done;
    const task = await act(`/ops/tasks/${stop.id}/${stop.kind}`, { count });
    plan = await api(`/ops/rebalancing/plans/${plan.id}`);
    await refreshStation(stop.station_id);
    await showPlan(stop.id);
    const values = { count: task.done - before, name: stationName(stop.station_id) };
    say(stop.kind === "pickup" ? t("ops.picked_up", values) : t("ops.dropped_off", values));
  } catch (error) {
    failed(error);
  }
}

/** Fill the dock form's truck choice with the trucks that carry bikes. */
export function dockTrucks(select) {
  const loaded = [...trucks.values()].filter((truck) => truck.load > 0);
  const options = loaded.map((truck) => {
    return new Option(t("ops.truck_aboard", { id: truck.id, load: truck.load }), truck.id);
  });
  select.replaceChildren(...(options.length ? options : [new Option(t("ops.no_loaded_truck"), "")]));
  select.form.querySelector("button").disabled = options.length === 0;
}

/** Dock `count` bikes (default: all that fit) of the truck at the station. */
export async function dock(truckId, stationId, count) {
  try {
    const truck = await act(`/ops/trucks/${truckId}/dock`, { station_id: stationId, ...(count ? { count } : {}) });
    const moved = trucks.get(truckId).load - truck.load;
    trucks.set(truckId, truck);
    await refreshStation(stationId);
    if (plan) await showPlan();
    say(t("ops.docked", { count: moved, id: truckId, name: stationName(stationId) }));
  } catch (error) {
    failed(error);
  }
}

async function createPlan(form) {
  const fields = Object.fromEntries(new FormData(form));
  const body = {
    truck_count: Number(fields.truck_count),
    truck_capacity: Number(fields.truck_capacity),
    horizon_h: Number(fields.horizon_h),
    time_limit_s: PLAN_TIME_LIMIT_S,
    ...(fields.zone ? { zone: fields.zone } : {}),
    // Seoul's service, Seoul's clock: the time typed is KST whatever the tablet's own time zone.
    ...(fields.start_at ? { start_at: `${fields.start_at}:00+09:00` } : {}),
  };
  say(t("ops.planning"));
  try {
    plan = await act("/ops/rebalancing/plans", body);
    sessionStorage.setItem(PLAN, String(plan.id));
    await showPlan();
    say(summary());
  } catch (error) {
    failed(error);
  }
}

export function initWork(options) {
  refreshStation = options.refreshStation;
  $("plan").addEventListener("submit", (event) => {
    event.preventDefault();
    oneAtATime(event.target, () => createPlan(event.target));
  });
  dockTrucks($("dock").elements.truck);
  const kept = sessionStorage.getItem(PLAN);
  if (kept) {
    api(`/ops/rebalancing/plans/${kept}`)
      .then((stored) => {
        plan = stored;
        return showPlan();
      })
      .catch(failed);
  }
}
