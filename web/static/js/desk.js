// The facility desk: a terminal key kept on this device, scans from a camera, a USB scanner (keyboard
// wedge: the payload then Enter into the focused field) or typing, and a big unambiguous answer.
import { $, fact } from "./dom.js";
import { anonymous, ApiError } from "./api.js";
import { t } from "./i18n.js";
import { scanFrames } from "./camera.js";

const KEY = "seoul.terminal-key";
const HISTORY_LENGTH = 20;
const history = [];

function showSetup() {
  $("scanner").hidden = true;
  $("setup").hidden = false;
}

function showScanner() {
  $("setup").hidden = true;
  $("scanner").hidden = false;
  $("payload").focus();
}

function ageGroup(group) {
  return group.endsWith("s") ? t("age.decade", { decade: group.slice(0, -1) }) : t("age.senior");
}

function benefitsText(benefits) {
  if (benefits.length === 0) return t("desk.no_benefits");
  return benefits
    .map((b) => t("benefit.item", { category: t(`category.${b.category}`), percent: b.discount_percent }))
    .join(", ");
}

function paragraph(text, className = "") {
  return Object.assign(document.createElement("p"), { className, textContent: text });
}

// A duplicate is the first acceptance answered again (scanners read twice), not a new one: it has its own
// look, words and sound, so a second person showing the same code is not waved in as "accepted".
function outcomeOf(answer) {
  if (!answer.accepted) return "refused";
  return answer.duplicate ? "duplicate" : "accepted";
}

function showAnswer(answer) {
  const outcome = outcomeOf(answer);
  const verdict = {
    accepted: t("desk.accepted"),
    duplicate: t("desk.duplicate"),
    refused: t("desk.refused", { reason: t(`reason.${answer.reason}`) }),
  }[outcome];
  const said = [paragraph(verdict, "verdict")];
  if (outcome === "duplicate") said.push(paragraph(t("desk.duplicate_hint")));
  const facts = document.createElement("dl");
  facts.className = "facts";
  if (answer.holder) {
    fact(facts, t("desk.holder"), answer.holder.display_name);
    fact(facts, t("desk.age_group"), ageGroup(answer.holder.age_group));
  }
  if (answer.accepted) {
    fact(facts, t("desk.benefits"), benefitsText(answer.benefits));
    fact(facts, t("desk.member_id"), answer.member_id ?? "—");
  }
  if (answer.retry_after) fact(facts, t("desk.retry_after"), t("desk.seconds", { seconds: Math.ceil(answer.retry_after) }));
  $("result").className = `result ${outcome}`;
  $("result").replaceChildren(...said, facts);
  cue(outcome);
  remember(outcome, `${new Date().toLocaleTimeString()} · ${verdict}${answer.holder ? ` · ${answer.holder.display_name}` : ""}`);
}

function showProblem(text) {
  $("result").className = "result refused";
  $("result").replaceChildren(paragraph(text, "verdict"));
  cue("refused");
  remember("refused", `${new Date().toLocaleTimeString()} · ${text}`);
}

function remember(outcome, text) {
  history.unshift({ outcome, text });
  history.length = Math.min(history.length, HISTORY_LENGTH);
  $("history").replaceChildren(
    ...history.map((scan) => {
      const item = document.createElement("li");
      item.className = scan.outcome;
      item.textContent = scan.text;
      return item;
    }),
  );
}

// Accepted: one short high tone. Duplicate: one long middle tone, neither the welcome nor the refusal.
// Refused: two low ones. A vibration of the same rhythm where the device has one. Tones: [hertz, start s, length s].
const CUES = {
  accepted: { vibration: 120, tones: [[880, 0, 0.15]] },
  duplicate: { vibration: 400, tones: [[440, 0, 0.4]] },
  refused: { vibration: [80, 60, 80], tones: [[220, 0, 0.15], [220, 0.22, 0.15]] },
};
let audio = null;
function cue(outcome) {
  const { vibration, tones } = CUES[outcome];
  navigator.vibrate?.(vibration);
  audio ??= new AudioContext();
  for (const [frequency, start, length] of tones) {
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    gain.gain.value = 0.15;
    oscillator.frequency.value = frequency;
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start(audio.currentTime + start);
    oscillator.stop(audio.currentTime + start + length);
  }
}

async function verify(text) {
  const payload = text.trim();
  if (!payload) return;
  try {
    const answer = await anonymous("/verifications", {
      method: "POST",
      headers: { "X-Terminal-Key": localStorage.getItem(KEY) },
      body: { payload },
    });
    showAnswer(answer);
  } catch (error) {
    if (!(error instanceof ApiError)) return showProblem(t("error.offline"));
    if (error.status === 401) return showProblem(t("desk.bad_key"));
    if (error.status === 403) return showProblem(t("card.desk_quarantined"));
    if (error.status === 422) return showProblem(t("desk.not_a_card"));
    if (error.status === 429) return showProblem(t("desk.too_many"));
    showProblem(t("error.failed", { detail: error.message }));
  }
}

$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  localStorage.setItem(KEY, new FormData(event.target).get("key").trim());
  event.target.reset();
  $("status").textContent = t("desk.key_saved");
  showScanner();
});

$("forget-key").addEventListener("click", () => {
  if (!confirm(t("desk.forget_confirm"))) return;
  localStorage.removeItem(KEY);
  $("status").textContent = t("desk.key_forgotten");
  showSetup();
});

$("scan-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const field = $("payload");
  const text = field.value;
  field.value = "";
  await verify(text);
  field.focus();
});

let stopCamera = null;
$("camera").addEventListener("click", async () => {
  if (stopCamera) {
    stopCamera();
    stopCamera = null;
    $("camera").setAttribute("aria-pressed", "false");
    $("video").hidden = true;
    return;
  }
  try {
    $("video").hidden = false;
    stopCamera = await scanFrames($("video"), verify);
    $("camera").setAttribute("aria-pressed", "true");
  } catch (error) {
    console.error(error);
    $("video").hidden = true;
    $("status").textContent = t("desk.no_camera");
  }
});

if (localStorage.getItem(KEY)) showScanner();
else showSetup();
