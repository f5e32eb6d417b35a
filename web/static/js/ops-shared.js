// What the console's modules share: the status line, the stations known so far, and mutating calls.
import { $ } from "./dom.js";
import { api, ApiError, ChangeKey } from "./api.js";
import { t } from "./i18n.js";

export const stations = new Map(); // id -> the station as GET /ops/stations gives it
// path -> the key of the action asked there and not yet done: a retry of it (an answer lost on the way) repeats
// the key, so the server answers as the first time instead of moving bikes or planning twice, even after
// other actions in between.
const unfinished = new Map();

export function say(text) {
  $("status").textContent = text;
}

export function failed(error) {
  if (!(error instanceof ApiError)) console.error(error);
  say(error instanceof ApiError ? t("error.failed", { detail: error.message }) : t("error.offline"));
}

/** A POST that a tablet on a shaky network may retry: one Idempotency-Key per intended action. */
export async function act(path, body = {}) {
  if (!unfinished.has(path)) unfinished.set(path, new ChangeKey());
  const answer = await api(path, { method: "POST", body, headers: unfinished.get(path).headers(body) });
  unfinished.delete(path);
  return answer;
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
