// The admin console: sign in as an administrator, find a citizen or a card, change their roles and
// eligibility, run facilities (admin-facilities.js) and read the audit log. Everything goes through the JSON API.
import { $, fact } from "./dom.js";
import { api, ApiError, forgetTokens, saveTokens, signedIn } from "./api.js";
import { formatTime, language, t } from "./i18n.js";
import { hideKey, loadFacilities, startFacilities } from "./admin-facilities.js";

let record = null; // the citizen on show, as the lookup answered, kept current after each change
let foundCardId = null;

function say(text) {
  $("status").textContent = text;
}

function failed(error) {
  if (!(error instanceof ApiError)) console.error(error);
  say(error instanceof ApiError ? t("error.failed", { detail: error.message }) : t("error.offline"));
}

// Run an action; on success announce it and refresh the audit log, so the log shows it at once.
async function act(work, done) {
  try {
    await work();
    say(done());
    await loadAudit();
  } catch (error) {
    failed(error);
  }
}

function button(text, onClick, className = "secondary") {
  const element = document.createElement("button");
  element.type = "button";
  element.className = className;
  element.textContent = text;
  element.addEventListener("click", onClick);
  return element;
}

function item(text, ...controls) {
  const element = document.createElement("li");
  element.append(text, ...controls.flatMap((control) => [" ", control]));
  return element;
}

// --- the citizen on show
function categories(list) {
  return list.length ? list.map((category) => t(`category.${category}`)).join(", ") : t("admin.none");
}

// A grant "until 2030-12-31" expires at the first instant of the next day in Seoul: show the day it was given as.
function lastDay(expiresAt) {
  const day = new Date(Date.parse(expiresAt) - 1000);
  return day.toLocaleDateString(language, { timeZone: "Asia/Seoul", dateStyle: "medium" });
}

function districtName(district) {
  const option = [...$("districts").options].find((each) => each.value === district);
  return option ? option.textContent.trim() : district;
}

function showRecord() {
  const citizen = record;
  $("record-title").textContent = t("admin.record_title", { name: citizen.name, id: citizen.id });
  const facts = $("record-facts");
  facts.replaceChildren();
  fact(facts, t("field.email"), citizen.email);
  fact(facts, t("field.birth_date"), citizen.birth_date);
  fact(facts, t("field.district"), districtName(citizen.district));
  fact(facts, t("admin.joined"), formatTime(citizen.created_at));
  $("record-cards").replaceChildren(
    ...(citizen.cards.length ? citizen.cards : [null]).map((card) => {
      if (card === null) return item(t("admin.no_cards"));
      const text = t("admin.card_item", { number: card.card_number, status: t(`admin.card_status.${card.status}`) });
      const controls = [];
      if (card.status === "active") {
        controls.push(button(t("admin.suspend_card", { number: card.card_number }), () => changeCard(card, "suspend")));
      }
      if (card.status !== "revoked") {
        const revoke = button(t("admin.revoke_card", { number: card.card_number }), () => changeCard(card, "revoke"));
        controls.push(Object.assign(revoke, { className: "danger" }));
      }
      const element = item(text, ...controls);
      if (card.id === foundCardId) element.classList.add("found");
      return element;
    }),
  );
  $("record-roles").replaceChildren(
    ...citizen.roles.map((role) =>
      item(
        t(`admin.role.${role}`),
        button(t("admin.revoke_role", { role: t(`admin.role.${role}`) }), () => revokeRole(role)),
      ),
    ),
  );
  const eligibility = citizen.eligibility;
  $("record-active").textContent = t("admin.active_categories", { list: categories(eligibility.active_categories) });
  const verified = eligibility.birth_date_verified;
  $("record-birth-date").textContent = verified ? t("admin.birth_verified") : t("admin.birth_unverified");
  $("verify-birth-date").textContent = verified ? t("admin.unverify_birth") : t("admin.verify_birth");
  $("record-grants").replaceChildren(
    ...eligibility.grants.map((grant) => {
      const name = t(`category.${grant.category}`);
      const until = grant.expires_at ? lastDay(grant.expires_at) : t("admin.never_expires");
      const revoke = button(t("admin.revoke_eligibility", { category: name }), () => revokeEligibility(grant.category));
      return item(t("admin.grant_item", { category: name, until }), revoke);
    }),
  );
  $("record").hidden = false;
}

async function lookUp(path, pick, missing) {
  try {
    const found = await api(path);
    if (found.length === 0) {
      $("record").hidden = true;
      say(missing());
    } else {
      [record, foundCardId] = pick(found[0]);
      showRecord();
      say(t("admin.found", { name: record.name }));
      $("record-title").focus();
    }
    await loadAudit();
  } catch (error) {
    failed(error);
  }
}

$("find-citizen").addEventListener("submit", (event) => {
  event.preventDefault();
  const query = new URLSearchParams({ email: event.target.elements.email.value });
  lookUp(`/admin/citizens?${query}`, (citizen) => [citizen, null], () => t("admin.no_citizen"));
});

$("find-card").addEventListener("submit", (event) => {
  event.preventDefault();
  const query = new URLSearchParams({ number: event.target.elements.number.value });
  lookUp(`/admin/cards?${query}`, (found) => [found.holder, found.card.id], () => t("admin.no_card"));
});

// Suspend (the citizen reissues to use it again) or revoke (for good) a card, after the administrator confirms.
function changeCard(card, action) {
  const number = card.card_number;
  const suspend = action === "suspend";
  const question = suspend ? t("admin.suspend_card_confirm", { number }) : t("admin.revoke_card_confirm", { number });
  if (!window.confirm(question)) return;
  act(async () => {
    const changed = await api(`/admin/cards/${card.id}/${action}`, { method: "POST" });
    record.cards = record.cards.map((each) => (each.id === changed.id ? changed : each));
    showRecord();
    $("record-title").focus();
  }, () => t("admin.card_changed", { number, status: t(`admin.card_status.${suspend ? "suspended" : "revoked"}`) }));
}

$("grant-role").addEventListener("submit", (event) => {
  event.preventDefault();
  const role = event.target.elements.role.value;
  act(async () => {
    record.roles = (await api(`/admin/users/${record.id}/roles`, { method: "POST", body: { role } })).roles;
    showRecord();
  }, () => t("admin.role_granted", { role: t(`admin.role.${role}`) }));
});

function revokeRole(role) {
  act(async () => {
    record.roles = (await api(`/admin/users/${record.id}/roles/${role}`, { method: "DELETE" })).roles;
    showRecord();
    $("grant-role").elements.role.focus();
  }, () => t("admin.role_revoked", { role: t(`admin.role.${role}`) }));
}

async function reloadEligibility() {
  record.eligibility = await api(`/admin/citizens/${record.id}/eligibilities`);
  showRecord();
}

$("grant-eligibility").addEventListener("submit", (event) => {
  event.preventDefault();
  const { category, expires_on } = Object.fromEntries(new FormData(event.target));
  const body = { category, expires_on: expires_on || null };
  act(async () => {
    await api(`/admin/citizens/${record.id}/eligibilities`, { method: "POST", body });
    await reloadEligibility();
  }, () => t("admin.eligibility_granted", { category: t(`category.${category}`) }));
});

function revokeEligibility(category) {
  act(async () => {
    await api(`/admin/citizens/${record.id}/eligibilities/${category}`, { method: "DELETE" });
    await reloadEligibility();
    $("grant-eligibility").elements.category.focus();
  }, () => t("admin.eligibility_revoked", { category: t(`category.${category}`) }));
}

$("verify-birth-date").addEventListener("click", () => {
  const verified = !record.eligibility.birth_date_verified;
  act(async () => {
    const path = `/admin/citizens/${record.id}/birth-date-verification`;
    record.eligibility = await api(path, { method: "PUT", body: { verified } });
    showRecord();
  }, () => (verified ? t("admin.birth_verified") : t("admin.birth_unverified")));
});

// --- the audit log
async function loadAudit() {
  const query = new URLSearchParams();
  for (const [name, value] of new FormData($("audit-filter"))) if (value.trim()) query.set(name, value.trim());
  const events = await api(`/admin/audit-events?${query}`);
  $("audit-rows").replaceChildren(
    ...events.map((entry) => {
      const row = document.createElement("tr");
      const details = JSON.stringify(entry.details);
      const cells = [formatTime(entry.at), entry.event, entry.actor_id ?? "", entry.subject ?? "", details];
      row.append(...cells.map((text) => Object.assign(document.createElement("td"), { textContent: text })));
      return row;
    }),
  );
  const known = new Set([...$("audit-events").options].map((option) => option.value));
  for (const entry of events) {
    if (!known.has(entry.event)) $("audit-events").append(new Option(entry.event, entry.event));
    known.add(entry.event);
  }
}

$("audit-filter").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await loadAudit();
    say(t("admin.audit_shown", { count: $("audit-rows").rows.length }));
  } catch (error) {
    failed(error);
  }
});

// --- signing in and out
async function start() {
  let me;
  try {
    me = await api("/me");
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return showSignedOut();
    throw error;
  }
  if (!me.roles.includes("admin")) {
    forgetTokens();
    showSignedOut();
    return say(t("admin.not_admin"));
  }
  $("login").hidden = true;
  $("console").hidden = false;
  await Promise.all([loadFacilities(), loadAudit()]);
}

function showSignedOut() {
  $("console").hidden = true;
  $("record").hidden = true;
  $("login").hidden = false;
}

$("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    saveTokens(await api("/auth/login", { method: "POST", body: Object.fromEntries(new FormData(event.target)) }));
    event.target.reset();
    say(t("card.signed_in"));
    await start();
    if (!$("console").hidden) $("lookup-title").focus();
  } catch (error) {
    failed(error);
  }
});

$("logout").addEventListener("click", async () => {
  await api("/auth/logout", { method: "POST" }).catch(() => null); // signed out here whatever the server says
  forgetTokens();
  record = null;
  hideKey();
  showSignedOut();
  say(t("admin.signed_out"));
  $("login").elements.email.focus();
});

startFacilities({ act, failed, say });
if (signedIn()) start().catch(failed);
else showSignedOut();
