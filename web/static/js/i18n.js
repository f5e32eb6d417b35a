// The page's message catalogue: the same JSON the template was rendered from, embedded as a data block.
const messages = JSON.parse(document.getElementById("messages").textContent);

export const language = document.documentElement.lang;

export function t(key, values = {}) {
  const text = messages[key];
  if (text === undefined) throw new Error(`no message ${key}`);
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name]));
}

export function formatTime(iso) {
  return new Date(iso).toLocaleString(language, { dateStyle: "medium", timeStyle: "short" });
}
