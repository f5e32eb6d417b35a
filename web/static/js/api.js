// The JSON API, the pages' only contract. Tokens live in sessionStorage: readable only by this origin's
// own scripts (the CSP admits no other), gone when the tab closes, never sent as a cookie.
import { language } from "./i18n.js";

const TOKENS = "seoul.tokens";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || String(status));
    this.status = status;
    this.problem = problem;
  }
}

export function signedIn() {
  return sessionStorage.getItem(TOKENS) !== null;
}

export function saveTokens(pair) {
  sessionStorage.setItem(TOKENS, JSON.stringify({ access: pair.access_token, refresh: pair.refresh_token }));
}

export function forgetTokens() {
  sessionStorage.removeItem(TOKENS);
}

function send(path, { method = "GET", body, headers = {}, token } = {}) {
  const sent = { Accept: "application/json", "Accept-Language": language, ...headers };
  if (body !== undefined) sent["Content-Type"] = "application/json";
  if (token) sent.Authorization = `Bearer ${token}`;
  return fetch(`/api/v1${path}`, { method, headers: sent, body: body === undefined ? undefined : JSON.stringify(body) });
}

async function refreshed() {
  const tokens = JSON.parse(sessionStorage.getItem(TOKENS));
  const response = await send("/auth/refresh", { method: "POST", token: tokens.refresh });
  if (!response.ok) {
    forgetTokens();
    return false;
  }
  saveTokens(await response.json());
  return true;
}

async function answer(response) {
  if (response.ok) return response.status === 204 ? null : response.json();
  throw new ApiError(response.status, await response.json().catch(() => ({})));
}

/** Call the API as the signed-in person (when signed in); an expired access token is refreshed once. */
export async function api(path, options = {}) {
  const tokens = JSON.parse(sessionStorage.getItem(TOKENS));
  let response = await send(path, { ...options, token: tokens?.access });
  if (response.status === 401 && tokens && (await refreshed())) {
    response = await send(path, { ...options, token: JSON.parse(sessionStorage.getItem(TOKENS)).access });
  }
  return answer(response);
}

/** Call the API without a person's token (a terminal key in the headers, or a public read). */
export async function anonymous(path, options = {}) {
  return answer(await send(path, options));
}

/** The Idempotency-Key of the change a form asks for. A retry of the same change (a double tap, an answer lost
 * on the way) sends the same key, so the server makes that change once; another change, or the same one again
 * once it is done, gets a new key. (The server keeps a key per person for 24 h and refuses it for another body.) */
export class ChangeKey {
  #change = null;
  #key = null;

  headers(change) {
    const asked = JSON.stringify(change);
    if (asked !== this.#change) [this.#change, this.#key] = [asked, crypto.randomUUID()];
    return { "Idempotency-Key": this.#key };
  }

  done() {
    this.#change = null;
  }
}
