// The admin console's facilities: create one, change its benefit rules, add terminals (the key is shown
// once, with a copy button) and revoke them.
import { $, oneAtATime } from "./dom.js";
import { api, ChangeKey } from "./api.js";
import { formatTime, t } from "./i18n.js";

let page = null; // { act, failed, say } from admin.js
// A retried creation (a double tap, an answer lost on the way) repeats its key: the server then makes no duplicate
// facility, and no second terminal whose live key nobody received.
const newFacility = new ChangeKey();
const newTerminals = new Map(); // facility id -> ChangeKey
// The server's answer to a retried terminal creation: made before, and its key is never shown twice.
const ALREADY_DELIVERED = "/problems/answer-already-delivered";

function optionText(selectId, value) {
  const option = [...$(selectId).options].find((each) => each.value === value);
  return option ? option.textContent.trim() : value;
}

function removable(text, label, onClick) {
  const element = document.createElement("li");
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "secondary";
  remove.textContent = label;
  remove.addEventListener("click", onClick);
  element.append(text, " ", remove);
  return element;
}

function ruleText(rule) {
  const text = t("benefit.item", { category: t(`category.${rule.category}`), percent: rule.discount_percent });
  return rule.residents_only ? t("admin.rule_residents_only", { rule: text }) : text;
}

function terminalItem(facility, terminal) {
  const used = terminal.last_used_at ? formatTime(terminal.last_used_at) : t("admin.never_used");
  const text = t("admin.terminal_item", { name: terminal.name, prefix: terminal.key_prefix, used });
  if (terminal.revoked_at) {
    const element = document.createElement("li");
    element.textContent = t("admin.terminal_revoked", { terminal: text });
    return element;
  }
  return removable(text, t("admin.revoke_terminal", { name: terminal.name }), () => revokeTerminal(facility, terminal));
}

function facilityItem(facility, terminals) {
  const element = $("facility-template").content.firstElementChild.cloneNode(true);
  const slot = (name) => element.querySelector(`[data-slot="${name}"]`);
  element.dataset.facility = facility.id;
  slot("name").textContent = facility.name;
  const facts = {
    id: facility.id,
    kind: optionText("kinds", facility.kind),
    district: optionText("districts", facility.district),
  };
  slot("facts").textContent = facility.active
    ? t("admin.facility_facts", facts)
    : t("admin.facility_facts_inactive", facts);
  slot("toggle").textContent = facility.active
    ? t("admin.close_facility", { name: facility.name })
    : t("admin.reopen_facility", { name: facility.name });
  slot("toggle").addEventListener("click", () => toggleFacility(facility));
  const removed = () => t("admin.rule_removed", { name: facility.name });
  slot("rules").replaceChildren(
    ...facility.benefit_rules.map((rule, index) =>
      removable(ruleText(rule), t("admin.remove_rule", { rule: ruleText(rule) }), () =>
        changeRules(facility, facility.benefit_rules.filter((_, other) => other !== index), removed),
      ),
    ),
  );
  if (facility.benefit_rules.length === 0) {
    slot("rules").append(Object.assign(document.createElement("li"), { textContent: t("admin.no_rules") }));
  }
  slot("terminals").replaceChildren(...terminals.map((terminal) => terminalItem(facility, terminal)));
  slot("add-rule-button").textContent = t("admin.add_rule", { name: facility.name });
  slot("add-terminal-button").textContent = t("admin.add_terminal", { name: facility.name });
  slot("add-rule").addEventListener("submit", (event) => {
    event.preventDefault();
    const fields = event.target.elements;
    const rule = {
      category: fields.category.value,
      discount_percent: Number(fields.discount_percent.value),
      residents_only: fields.residents_only.checked,
    };
    changeRules(facility, [...facility.benefit_rules, rule], () => t("admin.rule_added", { name: facility.name }));
  });
  slot("add-terminal").addEventListener("submit", (event) => {
    event.preventDefault();
    addTerminal(facility, event.target);
  });
  return element;
}

async function facilityWithTerminals(facility) {
  return facilityItem(facility, await api(`/admin/facilities/${facility.id}/terminals`));
}

async function redraw(facility) {
  const fresh = await facilityWithTerminals(facility);
  document.querySelector(`[data-facility="${facility.id}"]`).replaceWith(fresh);
  return fresh;
}

export async function loadFacilities() {
  const facilities = (await api("/admin/facilities")).reverse(); // newest first, where a new one is added
  $("facilities").replaceChildren(...(await Promise.all(facilities.map(facilityWithTerminals))));
}

function changeRules(facility, rules, done) {
  page.act(async () => {
    const changed = await api(`/admin/facilities/${facility.id}`, { method: "PATCH", body: { benefit_rules: rules } });
    const fresh = await redraw(changed);
    fresh.querySelector('[data-slot="add-rule"] select').focus();
  }, done);
}

// A closed facility's terminals are refused at once; reopening lets them in again.
function toggleFacility(facility) {
  const active = !facility.active;
  const name = facility.name;
  page.act(async () => {
    const changed = await api(`/admin/facilities/${facility.id}`, { method: "PATCH", body: { active } });
    (await redraw(changed)).querySelector('[data-slot="toggle"]').focus();
  }, () => (active ? t("admin.facility_reopened", { name }) : t("admin.facility_closed", { name })));
}

function addTerminal(facility, form) {
  const name = form.elements.name.value;
  if (!newTerminals.has(facility.id)) newTerminals.set(facility.id, new ChangeKey());
  const newTerminal = newTerminals.get(facility.id);
  let outcome = t("admin.terminal_created", { name });
  return oneAtATime(form, () =>
    page.act(async () => {
      const path = `/admin/facilities/${facility.id}/terminals`;
      const request = { method: "POST", body: { name }, headers: newTerminal.headers({ name }) };
      const terminal = await api(path, request).catch((error) => {
        if (error.problem?.type === ALREADY_DELIVERED) return null;
        throw error;
      });
      newTerminal.done();
      const fresh = await redraw(facility);
      if (terminal === null) {
        outcome = t("admin.terminal_key_lost", { name }); // made by the try whose answer was lost
        fresh.querySelector('[data-slot="add-terminal"] input').focus();
        return;
      }
      $("new-key-title").textContent = t("admin.new_key_title", { name: terminal.name, facility: facility.name });
      $("new-key-value").value = terminal.api_key;
      $("new-key").hidden = false;
      $("new-key-title").focus();
    }, () => outcome),
  );
}

function revokeTerminal(facility, terminal) {
  if (!window.confirm(t("admin.revoke_terminal_confirm", { name: terminal.name }))) return;
  page.act(async () => {
    await api(`/admin/facilities/${facility.id}/terminals/${terminal.id}`, { method: "DELETE" });
    const fresh = await redraw(facility);
    fresh.querySelector('[data-slot="add-terminal"] input').focus();
  }, () => t("admin.terminal_revoked_now", { name: terminal.name }));
}

export function hideKey() {
  $("new-key-value").value = "";
  $("new-key").hidden = true;
}

export function startFacilities(handlers) {
  page = handlers;
  $("create-facility").addEventListener("submit", (event) => {
    event.preventDefault();
    const body = { ...Object.fromEntries(new FormData(event.target)), benefit_rules: [] };
    oneAtATime(event.target, () =>
      page.act(async () => {
        const facility = await api("/admin/facilities", { method: "POST", body, headers: newFacility.headers(body) });
        newFacility.done();
        $("facilities").prepend(await facilityWithTerminals(facility));
        event.target.reset();
        document.querySelector(`[data-facility="${facility.id}"] [data-slot="add-rule"] select`).focus();
      }, () => t("admin.facility_created", { name: body.name })),
    );
  });
  $("copy-key").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText($("new-key-value").value);
      page.say(t("admin.key_copied"));
    } catch {
      $("new-key-value").select(); // no clipboard access: selected, so Ctrl+C copies it
      page.say(t("admin.key_selected"));
    }
  });
  $("hide-key").addEventListener("click", () => {
    hideKey();
    $("facilities-title").focus();
  });
}
