// The rider page's one status line (announced politely) and how a failed call reads there.
import { $ } from "./dom.js";
import { ApiError } from "./api.js";
import { t } from "./i18n.js";

export function say(text) {
  $("status").textContent = text;
}

// The API answers in the page's language (api.js sends it as Accept-Language), so its detail is shown as is.
export function failed(error) {
  if (!(error instanceof ApiError)) console.error(error);
  say(error instanceof ApiError ? t("error.failed", { detail: error.message }) : t("error.offline"));
}

export const won = (amount) => t("ride.won", { won: amount.toLocaleString() });

/** An event handler whose failure is said on the status line instead of lost. */
export function guarded(handler) {
  return async (event) => {
    try {
      await handler(event);
    } catch (error) {
      failed(error);
    }
  };
}
