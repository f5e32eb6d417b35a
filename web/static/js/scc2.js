// SCC2 reference client: a device key that never leaves the browser, and the codes it signs.
// The wire format is cardapi/SCC2.md; the service side is cardapi/scc2.py. Plain ES module, WebCrypto only,
// so it needs a secure context (https, or http://127.0.0.1 / localhost during development).

const PREFIX = "SCC2:";
const VERSION = 1;
const SIGNATURE_CONTEXT = "SCC2 v1 signature";
const KDF_INFO_PREFIX = "SCC2 v1 AES-128-GCM ";
const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,8}$/;
const CARD_NUMBER_PATTERN = /^\d{16}$/;
const BASE32HEX = "0123456789ABCDEFGHIJKLMNOPQRSTUV";
const DEVICE_ALGORITHM = { name: "ECDSA", namedCurve: "P-256" };
const DB_NAME = "scc2";
const STORE = "keys";
const DEVICE_KEY = "device";

const encoder = new TextEncoder();

/** The step a code is for: floor(unix time / period), as for SCC1. */
export function currentStep(period = 30, nowMs = Date.now()) {
  return Math.floor(nowMs / 1000 / period);
}

/** The device key pair kept in IndexedDB, or null before enrolment. */
export async function loadDeviceKey() {
  return withStore("readonly", (store) => store.get(DEVICE_KEY));
}

/** A new P-256 key pair whose private half cannot be exported, replacing any earlier one. */
export async function createDeviceKey() {
  const pair = await crypto.subtle.generateKey(DEVICE_ALGORITHM, false, ["sign", "verify"]);
  // IndexedDB stores CryptoKey objects as they are, so the private key stays non-extractable.
  const stored = { privateKey: pair.privateKey, publicKey: pair.publicKey };
  await withStore("readwrite", (store) => store.put(stored, DEVICE_KEY));
  return stored;
}

export async function forgetDeviceKey() {
  await withStore("readwrite", (store) => store.delete(DEVICE_KEY));
}

/** What the app registers at enrolment: the public key as base64 SPKI DER. */
export async function exportPublicKey(pair) {
  return base64(new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey)));
}

/** The first 8 bytes of SHA-256 over the uncompressed public point. */
export async function deviceKeyId(publicKey) {
  const point = await crypto.subtle.exportKey("raw", publicKey);
  return new Uint8Array(await crypto.subtle.digest("SHA-256", point)).slice(0, 8);
}

/**
 * The QR text for one step: `SCC2:` + base32hex of header || AES-GCM(claim || signature).
 * serviceKey is the service's `{kid, public_key}` (public_key: base64url of the uncompressed point).
 */
export async function buildPayload({ cardNumber, step, deviceKey, serviceKey }) {
  if (!CARD_NUMBER_PATTERN.test(cardNumber)) throw new RangeError("card number must be 16 digits");
  if (!Number.isSafeInteger(step) || step < 0) throw new RangeError("step must be a non-negative integer");
  if (!KEY_ID_PATTERN.test(serviceKey.kid)) throw new RangeError("service key id must be 1-8 of A-Z a-z 0-9 _ -");
  const claim = new Uint8Array(24);
  const view = new DataView(claim.buffer);
  view.setBigUint64(0, BigInt(cardNumber));
  view.setBigUint64(8, BigInt(step));
  claim.set(await deviceKeyId(deviceKey.publicKey), 16);
  // WebCrypto's ECDSA signature is already the raw r || s (64 bytes) the format asks for.
  const signature = await crypto.subtle.sign(
    { name: "ECDSA", hash: "SHA-256" },
    deviceKey.privateKey,
    concat(encoder.encode(SIGNATURE_CONTEXT), claim),
  );
  const ephemeral = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
  const point = compress(new Uint8Array(await crypto.subtle.exportKey("raw", ephemeral.publicKey)));
  const kid = encoder.encode(serviceKey.kid);
  const header = concat(Uint8Array.of(VERSION, kid.length), kid, point);
  const servicePublic = await crypto.subtle.importKey(
    "raw",
    base64urlDecode(serviceKey.public_key),
    { name: "ECDH", namedCurve: "P-256" },
    false,
    [],
  );
  const shared = await crypto.subtle.deriveBits({ name: "ECDH", public: servicePublic }, ephemeral.privateKey, 256);
  const hkdf = await crypto.subtle.importKey("raw", shared, "HKDF", false, ["deriveBits"]);
  const okm = new Uint8Array(
    await crypto.subtle.deriveBits(
      { name: "HKDF", hash: "SHA-256", salt: point, info: concat(encoder.encode(KDF_INFO_PREFIX), kid) },
      hkdf,
      224,
    ),
  );
  const aes = await crypto.subtle.importKey("raw", okm.slice(0, 16), "AES-GCM", false, ["encrypt"]);
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv: okm.slice(16, 28), additionalData: header, tagLength: 128 },
    aes,
    concat(claim, new Uint8Array(signature)),
  );
  return PREFIX + base32hex(concat(header, new Uint8Array(sealed)));
}

function compress(uncompressed) {
  // 0x04 || x || y  ->  (0x02 | parity of y) || x
  const point = new Uint8Array(33);
  point[0] = 0x02 | (uncompressed[64] & 1);
  point.set(uncompressed.subarray(1, 33), 1);
  return point;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function base32hex(bytes) {
  let text = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      text += BASE32HEX[(buffer >> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) text += BASE32HEX[(buffer << (5 - bits)) & 31];
  return text;
}

function base64(bytes) {
  return btoa(String.fromCharCode(...bytes));
}

function base64urlDecode(text) {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
}

function withStore(mode, operation) {
  return new Promise((resolve, reject) => {
    const opening = indexedDB.open(DB_NAME, 1);
    opening.onupgradeneeded = () => opening.result.createObjectStore(STORE);
    opening.onerror = () => reject(opening.error);
    opening.onsuccess = () => {
      const db = opening.result;
      const transaction = db.transaction(STORE, mode);
      const request = operation(transaction.objectStore(STORE));
      transaction.oncomplete = () => {
        db.close();
        resolve(request.result ?? null);
      };
      transaction.onerror = () => {
        db.close();
        reject(transaction.error);
      };
    };
  });
}
