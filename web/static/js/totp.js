// SCC1 codes in the browser (DESIGN "Citizen card"): RFC 6238 TOTP over WebCrypto HMAC, the same as
// cardapi/codes.py. The secret is imported as a non-extractable key and kept in IndexedDB, so the card
// rotates offline and no script can read the secret back out. The kept enrolment also holds the SCC2
// service key when the card has a device key (scc2.js).
const HASHES = { SHA1: "SHA-1", SHA256: "SHA-256", SHA512: "SHA-512" };
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const DATABASE = "seoul-card";
const STORE = "enrolment";

function base32Bytes(text) {
  let bits = 0;
  let value = 0;
  const bytes = [];
  for (const char of text.replace(/=+$/, "").toUpperCase()) {
    const index = BASE32.indexOf(char);
    if (index < 0) throw new RangeError("not base32");
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return new Uint8Array(bytes);
}

export const currentStep = (period, now = Date.now()) => Math.floor(now / 1000 / period);

export async function code(key, step, digits) {
  const counter = new DataView(new ArrayBuffer(8));
  counter.setBigUint64(0, BigInt(step));
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, counter.buffer));
  const offset = mac[mac.length - 1] & 0x0f;
  const value = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  return String(value % 10 ** digits).padStart(digits, "0");
}

export async function payload(card, now = Date.now()) {
  const step = currentStep(card.period, now);
  return { step, text: `SCC1:${card.cardNumber}:${step}:${await code(card.key, step, card.digits)}` };
}

function database() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function transact(mode, action) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const request = action(db.transaction(STORE, mode).objectStore(STORE));
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/**
 * Keep an issued card's enrolment on this device (the API shows the secret only once). With a service key the
 * card makes SCC2 codes from the device key (scc2.js) and takes no SCC1 codes, so the secret is not kept at all.
 */
export async function keepEnrolment(card, enrolment, serviceKey = null) {
  const kept = { cardNumber: card.card_number, digits: enrolment.digits, period: enrolment.period, serviceKey };
  if (!serviceKey) {
    kept.key = await crypto.subtle.importKey(
      "raw",
      base32Bytes(enrolment.secret),
      { name: "HMAC", hash: HASHES[enrolment.algorithm] },
      false,
      ["sign"],
    );
  }
  await transact("readwrite", (store) => store.put(kept, "card"));
  return kept;
}

/** Replace the kept SCC2 service key (after the service rotated it). */
export async function keepServiceKey(serviceKey) {
  const kept = { ...(await keptEnrolment()), serviceKey };
  await transact("readwrite", (store) => store.put(kept, "card"));
  return kept;
}

export const keptEnrolment = () => transact("readonly", (store) => store.get("card"));

export const forgetEnrolment = () => transact("readwrite", (store) => store.delete("card"));
