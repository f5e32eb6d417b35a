// What the console's modules share: the status line, the stations known so far, and mutating calls.
import { $ } from "./dom.js";
import { api, ApiError } from "./api.js";
import { t } from "./i18n.js";

export const stations = new Map(); // id -> the station as GET /ops/stations gives it

export function say(text) {
  $("status").textContent = text;
}

export function failed(error) {
  if (!(error instanceof ApiError)) console.error(error);
  say(error instanceof ApiError ? t("error.failed", { detail: error.message }) : t("error.offline"));
}

/** A POST that a tablet on a shaky network may retry: one Idempotency-Key per action. */
export function act(path, body = {}) {
  return api(path, { method: "POST", body, headers: { "Idempotency-Key": crypto.randomUUID() } });
}

export function stationName(id) {
  return stations.get(id)?.name ?? t("ops.station_number", { id });
}

/** A station's stock, fetched when it is not known yet (a route may leave the filtered area). */
export async function stationOf(id) {
  if (!stations.has(id)) stations.set(id, await api(`/ops/stations/${id}`));
  return stations.get(id);
}

/** A button with its text (and an accessible name when the text alone would be ambiguous). */
export function button(text, onClick, { label, kind } = {}) {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = text;
  if (label) element.setAttribute("aria-label", label);
  if (kind) element.className = kind;
  element.addEventListener("click", onClick);
  return element;
}
