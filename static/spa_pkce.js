// PKCE, state and nonce for the browser-only flow, with WebCrypto. The transaction lives in
// sessionStorage (this tab only) from the start page until the callback, which takes it out at once.

export const TX_KEY = "flowlab.spa.tx";
export const TX_MAX_AGE_MS = 10 * 60 * 1000;

export function base64url(bytes) {
  let binary = "";
  for (const b of new Uint8Array(bytes)) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function randomString(byteCount) {
  return base64url(crypto.getRandomValues(new Uint8Array(byteCount)));
}

// S256 (RFC 7636 §4.2): base64url(SHA-256(ASCII(code_verifier))), no padding.
export async function s256(verifier) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(digest);
}

export function saveTransaction(tx) {
  sessionStorage.setItem(TX_KEY, JSON.stringify(tx));
}

// Read and remove in one go: the verifier never outlives the callback.
export function takeTransaction() {
  const raw = sessionStorage.getItem(TX_KEY);
  sessionStorage.removeItem(TX_KEY);
  if (!raw) return null;
  try {
    const tx = JSON.parse(raw);
    return tx && typeof tx === "object" ? tx : null;
  } catch {
    return null;
  }
}
