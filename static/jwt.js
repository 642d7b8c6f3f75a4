// Decode JWT parts for display only: nothing decoded here is trusted; the server verifies.

export function decodeSegment(part) {
  const base64 = part.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

export function decodeJwt(token) {
  const parts = String(token).split(".");
  if (parts.length !== 3) throw new Error(`has ${parts.length} parts, not 3 (an opaque token?)`);
  const header = decodeSegment(parts[0]);
  const payload = decodeSegment(parts[1]);
  if (typeof header !== "object" || typeof payload !== "object" || !header || !payload) {
    throw new Error("header and payload must be JSON objects");
  }
  return { header, payload };
}

function relative(seconds) {
  const s = Math.abs(Math.round(seconds));
  let text;
  if (s < 90) text = `${s} s`;
  else if (s < 90 * 60) text = `${Math.round(s / 60)} min`;
  else if (s < 48 * 3600) text = `${Math.round(s / 3600)} h`;
  else text = `${Math.round(s / 86400)} days`;
  return seconds >= 0 ? `in ${text}` : `${text} ago`;
}

export function describeTime(value, now = Date.now() / 1000) {
  if (typeof value !== "number") return "";
  const stamp = new Date(value * 1000).toISOString().replace("T", " ").slice(0, 19);
  return `${stamp} UTC (${relative(value - now)})`;
}

export const TIME_CLAIMS = new Set(["exp", "iat", "nbf", "auth_time"]);
