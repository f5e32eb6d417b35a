// The rider's account: the discounts they hold, buying a pass, fault reports, and rides, passes and charges.
import { $, oneAtATime } from "./dom.js";
import { api, ChangeKey } from "./api.js";
import { formatTime, t } from "./i18n.js";
import { guarded, say, won } from "./ride-status.js";

// Kept until the purchase succeeds or another pass is chosen, so a retry never buys and charges twice.
const purchase = new ChangeKey();

function item(text) {
  const li = document.createElement("li");
  li.textContent = text;
  return li;
}

// The pass's name as the purchase form names it (the server's list of kinds rendered the form).
function passName(kind) {
  return $("pass-kind").querySelector(`option[value="${CSS.escape(kind)}"]`)?.dataset.name ?? kind;
}

function rideLine(rental) {
  const from = t("ride.station_number_short", { number: rental.start_station_id });
  if (rental.returned_at === null) return t("ride.history_riding", { started: formatTime(rental.started_at), from });
  return t("ride.history_ride", {
    started: formatTime(rental.started_at),
    from,
    to: t("ride.station_number_short", { number: rental.end_station_id }),
    minutes: Math.ceil(rental.duration_seconds / 60),
    won: won(rental.overtime_won),
  });
}

function passLine(bought) {
  const until = bought.valid_until
    ? t("ride.pass_until", { until: formatTime(bought.valid_until) })
    : t("ride.pass_unstarted", { by: formatTime(bought.start_by) });
  const discount = bought.discount_percent ? t("ride.discount", { percent: bought.discount_percent }) : "";
  return t("ride.history_pass", { name: passName(bought.kind), won: won(bought.price_won), until, discount }).trim();
}

function chargeLine(charge) {
  return t("ride.history_charge", {
    at: formatTime(charge.created_at),
    won: won(charge.amount_won),
    reason: t(`ride.charge.${charge.reason}`),
  });
}

/** Rides, passes and charges, newest first, each with a line saying when there are none. */
export async function showHistory() {
  const [rides, passes, charges] = await Promise.all([api("/rentals/me"), api("/passes/me"), api("/charges/me")]);
  const fill = (list, rows, line, none) =>
    $(list).replaceChildren(...(rows.length ? rows.map((row) => item(line(row))) : [item(none)]));
  fill("rides", rides, rideLine, t("ride.no_rides"));
  fill("passes", passes, passLine, t("ride.no_passes"));
  fill("charges", charges, chargeLine, t("ride.no_charges"));
}

/** The discount categories the rider holds now, each with its expiry. */
export async function showEligibility() {
  const mine = await api("/me/eligibility");
  const held = mine.categories.map((held) =>
    held.expires_at
      ? t("ride.category_until", { category: t(`category.${held.category}`), until: formatTime(held.expires_at) })
      : t(`category.${held.category}`),
  );
  $("eligibility").textContent = held.length
    ? t("ride.eligibility", { categories: held.join(", ") })
    : mine.birth_date_verified
      ? t("ride.eligibility_none")
      : t("ride.eligibility_unverified");
}

/** The pass purchase and fault report forms; `onChange` redraws what a purchase changes. */
export function wireLedger(onChange) {
  $("buy-pass").addEventListener(
    "submit",
    guarded(async (event) => {
      event.preventDefault();
      await oneAtATime(event.target, async () => {
        const body = { kind: event.target.elements.kind.value };
        const bought = await api("/passes", { method: "POST", body, headers: purchase.headers(body) });
        purchase.done();
        say(t("ride.pass_bought", { name: passName(bought.kind), won: won(bought.price_won) }));
        await onChange();
      });
    }),
  );
  $("fault").addEventListener(
    "submit",
    guarded(async (event) => {
      event.preventDefault();
      const form = event.target.elements;
      const bike = form.bike_id.value.trim().toUpperCase();
      const body = { kind: form.kind.value };
      if (form.note.value.trim()) body.note = form.note.value;
      await api(`/bikes/${encodeURIComponent(bike)}/reports`, { method: "POST", body });
      say(t("ride.reported", { bike, kind: t(`ride.fault.${body.kind}`) }));
      event.target.reset();
    }),
  );
}
