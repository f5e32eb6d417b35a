// The citizen's card: account, the rotating QR computed on this device, visits and memberships.
// The QR is SCC2 (signed by a device key that never leaves this browser, cardapi/SCC2.md) where the browser
// can keep such a key, SCC1 (TOTP) otherwise.
import { $, oneAtATime } from "./dom.js";
import { anonymous, api, ApiError, ChangeKey, forgetTokens, saveTokens, signedIn } from "./api.js";
import { formatTime, t } from "./i18n.js";
import { drawQr } from "./qr.js";
import * as scc2 from "./scc2.js";
import { currentStep, forgetEnrolment, keepEnrolment, keepServiceKey, keptEnrolment, payload } from "./totp.js";

const ANNOUNCE_AT_SECONDS_LEFT = 10;
// The service's answer to a retried issue or reissue: done before, and its secret is never sent twice.
const ALREADY_DELIVERED = "/problems/answer-already-delivered";
let rotation = null;
// A retry of the same issue, reissue or suspension (an answer lost on the way) repeats its request and its key,
// so the service does it once; an issue or reissue keeps its body too, since it holds this try's device key.
const cardChange = new ChangeKey();
let unanswered = null; // { path, body } of the issue or reissue not done yet
const suspension = new ChangeKey();

function say(text) {
  $("status").textContent = text;
}

function failed(error) {
  if (!(error instanceof ApiError)) console.error(error); // a network failure (offline) or a bug
  say(error instanceof ApiError ? t("error.failed", { detail: error.message }) : t("error.offline"));
}

// A non-extractable P-256 key needs WebCrypto (a secure context) and IndexedDB; without them, SCC1.
async function newDeviceKey() {
  if (!window.isSecureContext || !window.indexedDB || !crypto.subtle) return null;
  try {
    return await scc2.createDeviceKey();
  } catch {
    return null;
  }
}

async function codeAt(card, now) {
  if (!card.serviceKey) return payload(card, now);
  const step = currentStep(card.period, now);
  const deviceKey = await scc2.loadDeviceKey();
  const text = await scc2.buildPayload({ cardNumber: card.cardNumber, step, deviceKey, serviceKey: card.serviceKey });
  return { step, text };
}

// --- the QR: redrawn when the step changes; the seconds left are shown every second but spoken
// only when a new code appears and once near the end, so a screen reader is not interrupted constantly.
function showCard(card) {
  clearInterval(rotation);
  let shownStep = null;
  const tick = async () => {
    const now = Date.now();
    const left = card.period - (Math.floor(now / 1000) % card.period);
    if (currentStep(card.period, now) !== shownStep) {
      const current = await codeAt(card, now);
      shownStep = current.step;
      drawQr($("qr"), current.text);
      $("code-text").textContent = current.text;
      $("announce").textContent = t("card.new_code", { seconds: left });
    } else if (left === ANNOUNCE_AT_SECONDS_LEFT) {
      $("announce").textContent = t("card.seconds_left", { seconds: left });
    }
    $("seconds").textContent = t("card.seconds_visual", { seconds: left });
  };
  $("qr").setAttribute("aria-label", t("card.qr_alt", { last4: card.cardNumber.slice(-4) }));
  $("card-view").hidden = false;
  tick();
  rotation = setInterval(tick, 1000);
}

function hideCard() {
  clearInterval(rotation);
  $("card-view").hidden = true;
}

// --- account
function showSignedOut() {
  $("signed-in").hidden = true;
  $("signed-out").hidden = false;
}

async function loadAccount() {
  $("signed-out").hidden = true;
  $("signed-in").hidden = false;
  let card = null;
  try {
    card = await api("/cards/me");
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.status === 401) return showSignedOut();
    if (error.status !== 404) return failed(error);
  }
  const kept = await keptEnrolment();
  if (kept?.serviceKey) await refreshServiceKey(kept);
  $("issue").hidden = card !== null;
  $("reissue").hidden = card === null || card.status === "revoked";
  $("suspend").hidden = card === null || card.status !== "active";
  if (card === null) $("card-state").textContent = t("card.none");
  else if (kept?.cardNumber !== card.card_number) $("card-state").textContent = t("card.elsewhere");
  else $("card-state").textContent = t(`card.status.${card.status}`);
  if (card !== null) await Promise.all([loadVisits(), loadMemberships()]);
}

// The service rotates its key; older keys keep working a while, so a refresh whenever online is enough.
async function refreshServiceKey(kept) {
  const serviceKey = await anonymous("/cards/scc2-key");
  if (serviceKey.kid !== kept.serviceKey.kid) showCard(await keepServiceKey(serviceKey));
}

function benefitText(benefits) {
  return benefits.map((b) => t("benefit.item", { category: t(`category.${b.category}`), percent: b.discount_percent }));
}

async function loadVisits() {
  const visits = await api("/cards/me/visits?limit=20");
  $("visits").replaceChildren(
    ...visits.map((visit) => {
      const item = document.createElement("li");
      const parts = [visit.facility_name, formatTime(visit.at), ...benefitText(visit.benefits)];
      item.textContent = parts.join(" · ");
      return item;
    }),
  );
  if (visits.length === 0) $("visits").replaceChildren(listNote(t("card.no_visits")));
}

async function loadMemberships() {
  const memberships = await api("/cards/me/memberships");
  $("memberships").replaceChildren(
    ...memberships.map((membership) => {
      const item = document.createElement("li");
      item.append(t("card.membership", { name: membership.facility.name, visits: membership.visits }), " ");
      const leave = document.createElement("button");
      leave.type = "button";
      leave.className = "secondary";
      leave.textContent = t("card.leave", { name: membership.facility.name });
      leave.addEventListener("click", () => leaveFacility(membership.facility));
      item.append(leave);
      return item;
    }),
  );
  if (memberships.length === 0) $("memberships").replaceChildren(listNote(t("card.no_memberships")));
}

function listNote(text) {
  const item = document.createElement("li");
  item.textContent = text;
  return item;
}

async function leaveFacility(facility) {
  if (!confirm(t("card.leave_confirm", { name: facility.name }))) return;
  try {
    await api(`/cards/me/memberships/${facility.id}`, { method: "DELETE" });
    say(t("card.left", { name: facility.name }));
    await loadMemberships();
  } catch (error) {
    failed(error);
  }
}

async function cardRequest() {
  const deviceKey = await newDeviceKey();
  return deviceKey ? { device_public_key: await scc2.exportPublicKey(deviceKey) } : undefined;
}

async function takeCard(path) {
  try {
    if (unanswered?.path !== path) unanswered = { path, body: await cardRequest() };
    const request = { method: "POST", headers: cardChange.headers(unanswered), body: unanswered.body };
    const issued = await api(path, request).catch((error) => {
      if (error.problem?.type === ALREADY_DELIVERED) return null;
      throw error;
    });
    unanswered = null;
    cardChange.done();
    // Made by a try whose answer was lost: an SCC2 card needs no secret (the device key it registered is the one
    // this device keeps), so it works here all the same; an SCC1 card's secret is gone, and only a reissue helps.
    const card = issued?.card ?? (await api("/cards/me"));
    const serviceKey = card.device_key_registered ? await anonymous("/cards/scc2-key") : null;
    if (issued === null && serviceKey === null) {
      say(t("card.secret_lost"));
      await loadAccount();
      $("reissue").focus();
      return;
    }
    const enrolment = issued?.enrolment ?? { digits: card.digits, period: card.period };
    showCard(await keepEnrolment(card, enrolment, serviceKey));
    say(serviceKey ? t("card.ready_scc2") : t("card.ready"));
    await loadAccount();
    $("card-view-title").focus();
  } catch (error) {
    failed(error);
  }
}

async function suspend() {
  if (!confirm(t("card.suspend_confirm"))) return;
  try {
    await api("/cards/me/suspend", { method: "POST", headers: suspension.headers({}) });
    suspension.done();
    await forgetEnrolment();
    hideCard();
    say(t("card.suspended"));
    await loadAccount();
  } catch (error) {
    failed(error);
  }
}

async function logIn(credentials) {
  saveTokens(await api("/auth/login", { method: "POST", body: credentials }));
  say(t("card.signed_in"));
  await loadAccount();
}

function formData(form) {
  return Object.fromEntries(new FormData(form).entries());
}

$("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await logIn(formData(event.target));
  } catch (error) {
    failed(error);
  }
});

$("register").addEventListener("submit", async (event) => {
  event.preventDefault();
  const fields = formData(event.target);
  try {
    await api("/auth/register", { method: "POST", body: fields });
    await logIn({ email: fields.email, password: fields.password });
  } catch (error) {
    failed(error);
  }
});

$("issue").addEventListener("click", (event) => oneAtATime(event.currentTarget, () => takeCard("/cards")));
$("reissue").addEventListener("click", (event) => oneAtATime(event.currentTarget, () => takeCard("/cards/me/reissue")));
$("suspend").addEventListener("click", (event) => oneAtATime(event.currentTarget, suspend));
$("logout").addEventListener("click", async () => {
  await api("/auth/logout", { method: "POST" }).catch(() => null);
  forgetTokens();
  say(t("card.signed_out"));
  showSignedOut();
});

const kept = await keptEnrolment();
if (kept) showCard(kept);
if (signedIn()) loadAccount().catch(failed);
else showSignedOut();
if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js");
