// The rider: find stations, rent (at a station or a given bike), the running ride with its fare so far,
// return with the fare breakdown (or the nearest stations with room when the chosen one is full).
import { $, fact, oneAtATime } from "./dom.js";
import { api, ApiError, ChangeKey, saveTokens, signedIn } from "./api.js";
import { formatTime, t } from "./i18n.js";
import { scanFrames } from "./camera.js";
import { choosePlace, findStations, stationItem } from "./ride-stations.js";
import { showEligibility, showHistory, wireLedger } from "./ride-ledger.js";
import { failed, guarded, say, won } from "./ride-status.js";

const FARE_REFRESH_MS = 60_000; // the fare moves in 5-minute steps: once a minute is plenty
const BIKE_NUMBER = /SPB-\d{5}/;
let ride = null;
let ticking = null;
let stopCamera = null;

// A retry of the same rent or return (an answer lost on the way) repeats its key, so the server answers as it did
// the first time instead of renting twice or refusing with "already riding" or "already returned".
const renting = new ChangeKey();
const returning = new ChangeKey();
const minutes = (seconds) => t("ride.minutes", { minutes: Math.ceil(seconds / 60) });

function elapsed(since) {
  const seconds = Math.max(0, Math.floor((Date.now() - new Date(since)) / 1000));
  return t("ride.elapsed", { minutes: Math.floor(seconds / 60), seconds: seconds % 60 });
}

// The ride's facts; the clock ticks every second in place, not announced (the status line says what happened).
function drawRide() {
  const list = $("ride-facts");
  list.replaceChildren();
  fact(list, t("ride.fact_bike"), ride.bike_id);
  fact(list, t("ride.fact_from"), t("ride.station_number_short", { number: ride.start_station_id }));
  fact(list, t("ride.fact_since"), formatTime(ride.started_at));
  fact(list, t("ride.fact_elapsed"), elapsed(ride.started_at));
  list.lastElementChild.id = "elapsed";
  fact(list, t("ride.fare_limit"), t("ride.minutes", { minutes: ride.ride_minutes }));
  if (ride.fare_so_far) fact(list, t("ride.fact_fare_so_far"), won(ride.fare_so_far.total_won));
}

function showRide(rental) {
  ride = rental;
  clearInterval(ticking);
  $("riding").hidden = rental === null;
  $("fault").elements.bike_id.value ||= rental?.bike_id ?? "";
  if (!rental) return;
  drawRide();
  let refreshed = Date.now();
  ticking = setInterval(async () => {
    $("elapsed").textContent = elapsed(ride.started_at);
    if (Date.now() - refreshed > FARE_REFRESH_MS) {
      refreshed = Date.now();
      ride = await api(`/rentals/${ride.id}`).catch(() => ride);
      if (ride.returned_at === null) drawRide();
      else showRide(null);
    }
  }, 1000);
}

function showFare(fare, station) {
  const list = $("fare-facts");
  list.replaceChildren();
  fact(list, t("ride.fact_to"), station.name);
  fact(list, t("ride.fare_duration"), minutes(fare.duration_seconds));
  fact(list, t("ride.fare_limit"), t("ride.minutes", { minutes: fare.ride_limit_minutes }));
  fact(list, t("ride.fare_overtime"), t("ride.overtime", { steps: fare.overtime_steps, won: won(fare.overtime_won) }));
  fact(list, t("ride.fare_total"), won(fare.total_won));
  $("fare").hidden = false;
  $("fare-title").focus();
}

const actions = () => ({ riding: ride !== null, signedIn: signedIn(), onRent: rent, onReturn: giveBack });

async function refreshStations({ quiet = true } = {}) {
  const stations = await findStations(actions());
  if (!quiet) say(stations.length ? t("ride.found", { count: stations.length }) : t("ride.none_found"));
}

async function afterChange() {
  await refreshStations();
  if (signedIn()) await showHistory();
}

async function rent(station, bikeId) {
  const body = { station_id: station.id };
  if (bikeId) body.bike_id = bikeId;
  if ($("pass").value) body.buy_day_pass = $("pass").value;
  try {
    showRide(await api("/rentals", { method: "POST", body, headers: renting.headers(body) }));
    renting.done();
    $("fare").hidden = true;
    const name = station.name ?? t("ride.station_number_short", { number: station.id });
    say(t("ride.rented", { bike: ride.bike_id, name }));
    $("riding-title").focus();
    await afterChange();
  } catch (error) {
    failed(error);
  }
}

// A full station answers 409 (its detail goes on the status line) with the nearest stations that have room:
// offer them, so returning is one press away.
function offerAlternatives(problem) {
  const stations = problem.nearest_stations_with_room ?? [];
  const none = Object.assign(document.createElement("li"), { textContent: t("ride.no_room_nearby") });
  $("alternatives").replaceChildren(...(stations.length ? stations.map((s) => stationItem(s, actions())) : [none]));
  $("full").hidden = false;
  $("full-title").focus();
}

async function giveBack(station) {
  try {
    const body = { station_id: station.id };
    const headers = returning.headers({ rental: ride.id, ...body });
    const returned = await api(`/rentals/${ride.id}/return`, { method: "POST", body, headers });
    returning.done();
    showRide(null);
    $("full").hidden = true;
    say(t("ride.returned", { name: station.name }));
    showFare(returned.fare, station);
    await afterChange();
  } catch (error) {
    if (error instanceof ApiError && error.problem.type === "/problems/station-full") {
      say(error.message);
      offerAlternatives(error.problem);
    } else {
      failed(error);
    }
  }
}

$("find").addEventListener(
  "submit",
  guarded(async (event) => {
    event.preventDefault();
    await refreshStations({ quiet: false });
  }),
);
choosePlace(guarded(() => refreshStations({ quiet: false })), () => say(t("ride.no_location")));

$("rent-bike").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.target.elements;
  oneAtATime(event.target, () => rent({ id: Number(form.station_id.value) }, form.bike_id.value.trim().toUpperCase()));
});

$("scan").addEventListener(
  "click",
  guarded(async () => {
    const video = $("video");
    if (stopCamera) {
      stopCamera();
      stopCamera = null;
    } else {
      stopCamera = await scanFrames(video, (text) => {
        const bike = text.match(BIKE_NUMBER)?.[0];
        if (!bike) return;
        $("bike-number").value = bike;
        say(t("ride.scanned", { bike }));
        $("scan").click();
      });
    }
    video.hidden = stopCamera === null;
    $("scan").setAttribute("aria-pressed", String(stopCamera !== null));
  }),
);

async function loadAccount() {
  $("login").hidden = true;
  $("account").hidden = false;
  const [latest] = await api("/rentals/me?limit=1");
  showRide(latest && latest.returned_at === null ? latest : null);
  await Promise.all([refreshStations({ quiet: false }), showHistory(), showEligibility()]);
}

$("login").addEventListener(
  "submit",
  guarded(async (event) => {
    event.preventDefault();
    saveTokens(await api("/auth/login", { method: "POST", body: Object.fromEntries(new FormData(event.target)) }));
    say(t("card.signed_in"));
    await loadAccount();
  }),
);
wireLedger(guarded(afterChange));

if (signedIn()) loadAccount().catch(failed);
else {
  $("login").hidden = false;
  refreshStations().catch(failed);
}
