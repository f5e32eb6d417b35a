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

function showAnswer(answer) {
  let verdict = t("desk.refused", { reason: t(`reason.${answer.reason}`) });
  if (answer.accepted) verdict = answer.duplicate ? t("card.desk_duplicate") : t("desk.accepted");
  const heading = document.createElement("p");
  heading.className = "verdict";
  heading.textContent = verdict;
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
  $("result").className = `result ${answer.accepted ? "accepted" : "refused"}`;
  $("result").replaceChildren(heading, facts);
  cue(answer.accepted);
  remember(answer.accepted, `${new Date().toLocaleTimeString()} · ${verdict}${answer.holder ? ` · ${answer.holder.display_name}` : ""}`);
}

function showProblem(text) {
  const heading = document.createElement("p");
  heading.className = "verdict";
  heading.textContent = text;
  $("result").className = "result refused";
  $("result").replaceChildren(heading);
  cue(false);
  remember(false, `${new Date().toLocaleTimeString()} · ${text}`);
}

function remember(accepted, text) {
  history.unshift({ accepted, text });
  history.length = Math.min(history.length, HISTORY_LENGTH);
  $("history").replaceChildren(
    ...history.map((scan) => {
      const item = document.createElement("li");
      item.className = scan.accepted ? "accepted" : "refused";
      item.textContent = scan.text;
      return item;
    }),
  );
}

// One short high tone for accepted, two low ones for refused; a vibration where the device has one.
let audio = null;
function cue(accepted) {
  navigator.vibrate?.(accepted ? 120 : [80, 60, 80]);
  audio ??= new AudioContext();
  const tones = accepted ? [[880, 0]] : [[220, 0], [220, 0.22]];
  for (const [frequency, start] of tones) {
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    gain.gain.value = 0.15;
    oscillator.frequency.value = frequency;
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start(audio.currentTime + start);
    oscillator.stop(audio.currentTime + start + 0.15);
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
