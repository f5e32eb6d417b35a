// The rider: stations near a point as a list with live bikes and free docks, rent, and return with the fare.
import { $, fact } from "./dom.js";
import { api, ApiError, saveTokens, signedIn } from "./api.js";
import { formatTime, t } from "./i18n.js";

let ride = null;

function say(text) {
  $("status").textContent = text;
}

function failed(error) {
  if (!(error instanceof ApiError)) console.error(error);
  say(error instanceof ApiError ? t("error.failed", { detail: error.message }) : t("error.offline"));
}

function showRide(rental) {
  ride = rental;
  $("riding").hidden = rental === null;
  if (rental) {
    $("ride-facts").textContent = t("ride.riding", {
      bike: rental.bike_id,
      since: formatTime(rental.started_at),
      minutes: rental.ride_minutes,
    });
  }
}

function showFare(fare) {
  const list = $("fare-facts");
  list.replaceChildren();
  fact(list, t("ride.fare_duration"), t("ride.minutes", { minutes: Math.ceil(fare.duration_seconds / 60) }));
  fact(list, t("ride.fare_limit"), t("ride.minutes", { minutes: fare.ride_limit_minutes }));
  fact(list, t("ride.fare_overtime"), t("ride.overtime", { steps: fare.overtime_steps, won: fare.overtime_won }));
  fact(list, t("ride.fare_total"), t("ride.won", { won: fare.total_won.toLocaleString() }));
  $("fare").hidden = false;
  $("fare-title").focus();
}

function stationItem(station) {
  const item = document.createElement("li");
  const facts = t("ride.station", {
    name: station.name,
    distance: station.distance_m,
    bikes: station.bikes_available,
    docks: station.docks_available,
  });
  item.append(facts, " ");
  const button = document.createElement("button");
  button.type = "button";
  if (ride) {
    button.textContent = t("ride.return_here", { name: station.name });
    button.disabled = !station.has_room;
    button.addEventListener("click", () => giveBack(station));
  } else {
    button.textContent = t("ride.rent_here", { name: station.name });
    button.disabled = station.bikes_available === 0 || !signedIn();
    button.addEventListener("click", () => rent(station));
  }
  item.append(button);
  return item;
}

async function findStations({ quiet = false } = {}) {
  const query = new URLSearchParams(new FormData($("find")));
  query.delete("pass");
  try {
    const stations = await api(`/stations?${query}`);
    $("stations").replaceChildren(...stations.map(stationItem));
    if (!quiet) say(stations.length ? t("ride.found", { count: stations.length }) : t("ride.none_found"));
  } catch (error) {
    failed(error);
  }
}

async function rent(station) {
  const body = { station_id: station.id };
  if ($("pass").value) body.buy_day_pass = $("pass").value;
  try {
    showRide(await api("/rentals", { method: "POST", body, headers: { "Idempotency-Key": crypto.randomUUID() } }));
    $("fare").hidden = true;
    say(t("ride.rented", { bike: ride.bike_id, name: station.name }));
    $("riding-title").focus();
    await findStations({ quiet: true });
  } catch (error) {
    failed(error);
  }
}

async function giveBack(station) {
  try {
    const returned = await api(`/rentals/${ride.id}/return`, {
      method: "POST",
      body: { station_id: station.id },
      headers: { "Idempotency-Key": crypto.randomUUID() },
    });
    showRide(null);
    say(t("ride.returned", { name: station.name }));
    showFare(returned.fare);
    await findStations({ quiet: true });
  } catch (error) {
    failed(error);
  }
}

$("find").addEventListener("submit", (event) => {
  event.preventDefault();
  findStations();
});

$("locate").addEventListener("click", () => {
  navigator.geolocation.getCurrentPosition(
    (position) => {
      $("find").elements.lat.value = position.coords.latitude.toFixed(5);
      $("find").elements.lon.value = position.coords.longitude.toFixed(5);
      findStations();
    },
    () => say(t("ride.no_location")),
  );
});

$("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    saveTokens(await api("/auth/login", { method: "POST", body: Object.fromEntries(new FormData(event.target)) }));
    $("login").hidden = true;
    say(t("card.signed_in"));
    await loadRide();
  } catch (error) {
    failed(error);
  }
});

async function loadRide() {
  const [latest] = await api("/rentals/me?limit=1");
  showRide(latest && latest.returned_at === null ? latest : null);
  await findStations();
}

if (signedIn()) loadRide().catch(failed);
else $("login").hidden = false;
