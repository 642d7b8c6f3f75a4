// The inspector's decoder: as you type, the pasted token is split into its parts (coloured as on jwt.io)
// and its header and payload decoded side by side. In this page only: nothing is sent and nothing here is
// trusted; verification is the server's, on request (the form's POST). Text only through textContent.
import { el } from "./dom.js";
import { decodeSegment, describeTime, TIME_CLAIMS } from "./jwt.js";

const field = document.getElementById("token");
const status = document.getElementById("decode-status");
const encoded = document.getElementById("decoded-token");
const parts = document.getElementById("decoded-parts");
const headerBox = document.getElementById("decoded-header");
const payloadBox = document.getElementById("decoded-payload");
const times = document.getElementById("decoded-times");
const idle = status.textContent;

// lab/inspector.py's clean(): surrounding space, quotes and a "Bearer " prefix are not part of the token.
function clean(raw) {
  let token = raw.trim().replace(/^["']+|["']+$/g, "").trim();
  if (token.slice(0, 7).toLowerCase() === "bearer ") token = token.slice(7).trim();
  return token;
}

function decoded(part) {
  try {
    const value = decodeSegment(part);
    return value && typeof value === "object" && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

function showSegments(pieces, names) {
  const nodes = [];
  pieces.forEach((piece, i) => {
    if (i) nodes.push(el("span", "seg-dot", "."));
    nodes.push(el("span", `seg seg-${names[i]}`, piece));
  });
  encoded.replaceChildren(...nodes);
  encoded.hidden = false;
}

function clear(text) {
  status.textContent = text;
  encoded.hidden = true;
  parts.hidden = true;
  encoded.replaceChildren();
  headerBox.textContent = "";
  payloadBox.textContent = "";
  times.replaceChildren();
  delete field.dataset.decoded;
}

function render() {
  const token = clean(field.value);
  if (!token) return clear(idle);
  if (token.length > Number(field.dataset.max)) {
    return clear(`${token.length} characters: tokens are at most ${field.dataset.max}. Not decoded.`);
  }
  const pieces = token.split(".");
  if (pieces.length === 5) {
    const header = decoded(pieces[0]);
    showSegments(pieces, ["header", "encrypted", "encrypted", "encrypted", "encrypted"]);
    parts.hidden = !header;
    headerBox.textContent = header ? JSON.stringify(header, null, 2) : "";
    payloadBox.textContent = "(encrypted: only the provider can read it)";
    times.replaceChildren();
    status.textContent = "An encrypted JWE (five parts): only its header can be read. Cognito's refresh tokens look like this.";
    field.dataset.decoded = "jwe";
    return;
  }
  if (pieces.length !== 3) {
    showSegments([token], ["opaque"]);
    parts.hidden = true;
    status.textContent = `Not a JWT: ${pieces.length} part${pieces.length === 1 ? "" : "s"}, not the three of header.payload.signature (an opaque token or a code?).`;
    field.dataset.decoded = "opaque";
    return;
  }
  showSegments(pieces, ["header", "payload", "signature"]);
  const header = decoded(pieces[0]);
  const payload = decoded(pieces[1]);
  headerBox.textContent = header ? JSON.stringify(header, null, 2) : "(not base64url JSON)";
  payloadBox.textContent = payload ? JSON.stringify(payload, null, 2) : "(not base64url JSON)";
  times.replaceChildren(
    ...Object.entries(payload || {})
      .filter(([name, value]) => TIME_CLAIMS.has(name) && typeof value === "number")
      .map(([name, value]) => {
        const item = el("li");
        item.append(el("span", "claim-name", name), `: ${describeTime(value)}`);
        return item;
      }),
  );
  parts.hidden = false;
  const kind = payload && payload.token_use ? ` (token_use: ${payload.token_use})` : "";
  status.textContent =
    header && payload
      ? `Decoded in this page: a JWT${kind}. Not verified yet: anyone can write a payload; press Verify to check its signature.`
      : "Three parts, but the header or payload is not base64url-encoded JSON: not a valid JWT.";
  field.dataset.decoded = header && payload ? "jwt" : "broken";
}

field.addEventListener("input", render);
render(); // a value the browser restored (Back) is decoded too
document.getElementById("decoder").dataset.ready = "true";
