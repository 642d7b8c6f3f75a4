// The implicit-grant landing page. Order matters: read the fragment once, remove it from the
// address bar before any request, then show and verify. Tokens live in this module's memory only.
import { el, openedAgain, openedAgainText, shortToken, showChecks, stepList, tokenCard } from "./dom.js";
import { postToApp } from "./post.js";

const rawFragment = window.location.hash.slice(1);
const fragment = new URLSearchParams(rawFragment);
const query = new URLSearchParams(window.location.search.slice(1));
const hadFragment = window.location.hash.length > 1;
history.replaceState(null, "", window.location.pathname);

const root = document.getElementById("implicit");
const meanings = JSON.parse(root.dataset.meanings || "{}");
const claimGroups = JSON.parse(root.dataset.claimGroups || "[]");
const steps = document.getElementById("steps");
const tokensBox = document.getElementById("tokens");

let tokens = {
  id_token: fragment.get("id_token"),
  access_token: fragment.get("access_token"),
  state: fragment.get("state"),
};

const step = stepList(steps);
const ARRIVAL =
  "Arrived on the front channel: in the redirect's URL fragment, through your browser. No client authentication, no back channel (no server-to-server call).";

const TOKEN_PARAMS = new Set(["access_token", "id_token"]);

// The fragment exactly as it arrived: tokens shortened, the full value on click (kept in this module only).
const fullValues = new WeakMap();

function showFragment() {
  const box = document.getElementById("fragment");
  const line = document.getElementById("fragment-value");
  if (!box || !rawFragment) return;
  line.replaceChildren(document.createTextNode("#"));
  rawFragment.split("&").forEach((pair, index) => {
    if (index) line.append(document.createTextNode("&"));
    const cut = pair.indexOf("=");
    const name = cut < 0 ? pair : pair.slice(0, cut);
    const value = cut < 0 ? "" : pair.slice(cut + 1);
    line.append(el("span", "frag-name", name + (cut < 0 ? "" : "=")));
    if (TOKEN_PARAMS.has(name) && value.length > 24) {
      const button = el("button", "frag-token", shortToken(value));
      button.type = "button";
      button.dataset.param = name;
      button.setAttribute("aria-expanded", "false");
      button.title = `Show the whole ${name}`;
      fullValues.set(button, value);
      button.addEventListener("click", () => {
        const open = button.getAttribute("aria-expanded") === "true";
        button.textContent = open ? shortToken(value) : value;
        button.setAttribute("aria-expanded", String(!open));
      });
      line.append(button);
    } else {
      line.append(el("span", "frag-value", value));
    }
  });
  box.hidden = false;
}

// Once the tokens are discarded, the fragment view keeps only their shortened form.
function forgetFragmentTokens() {
  for (const button of document.querySelectorAll("#fragment-value .frag-token")) {
    button.replaceWith(el("span", "frag-value", shortToken(fullValues.get(button))));
  }
}

function discard(title, detail) {
  tokens = { id_token: null, access_token: null, state: null };
  forgetFragmentTokens();
  tokensBox.replaceChildren();
  document.getElementById("error-title").textContent = title;
  document.getElementById("error-detail").textContent = detail;
  document.getElementById("error").hidden = false;
  step("Tokens discarded from page memory", false);
}

async function verify() {
  const response = await postToApp(root.dataset.verifyUrl, root.dataset.csrf, {
    ...tokens,
    // the fragment's shape, token values left out (the server fills in the ones posted above)
    fragment: rawFragment
      .split("&")
      .map((pair) => (TOKEN_PARAMS.has(pair.split("=")[0]) ? `${pair.split("=")[0]}=` : pair))
      .join("&")
      .slice(0, 4096),
    elapsed_ms: Math.round(performance.now()),
  });
  let result;
  try {
    result = await response.json();
  } catch {
    result = { valid: false, error: `the server answered HTTP ${response.status}` };
  }
  return result;
}

async function main() {
  step(hadFragment ? "Read the URL fragment once" : "The URL carried no fragment");
  showFragment();
  step("Removed it from the address bar with history.replaceState");
  const error = fragment.get("error") || query.get("error");
  if (error) {
    const description = fragment.get("error_description") || query.get("error_description") || "";
    discard(`The provider returned error=${error}`, description || "No description was given.");
    const causes = JSON.parse(root.dataset.causes || "{}");
    document.getElementById("error-hint").textContent = causes[error] || "";
    return;
  }
  const again = hadFragment ? "" : openedAgain();
  if (again) {
    const said = openedAgainText(
      again,
      JSON.parse(root.dataset.lastRun || "null"),
      "Its tokens lived only in that page's memory, and the fragment that carried them left the address bar " +
        "on the first load, so there is nothing to read again: by design, nothing was stored.",
    );
    discard(said.title, said.detail);
    document.getElementById("error-result").hidden = false;
    return;
  }
  if (!tokens.id_token || !tokens.access_token) {
    discard("No tokens in the fragment", "Expected id_token and access_token. Was openid in the scope?");
    return;
  }
  if (!tokens.state) {
    discard("No state in the fragment", "Without state the response cannot be tied to a sign-in from this browser.");
    return;
  }
  step("Decoded the tokens for display (not trusted until the server verifies them)");
  const card = { meanings, arrival: ARRIVAL, groups: claimGroups };
  tokensBox.append(
    tokenCard("ID token", "id", tokens.id_token, card),
    tokenCard("Access token", "access", tokens.access_token, card),
  );
  step("Posted the tokens and state to /api/implicit/verify");
  const result = await verify();
  if (!result.valid) {
    discard("Server-side verification failed", result.error || "unknown error");
    return;
  }
  showChecks("id", result.checks);
  showChecks("access", result.access_checks && result.access_checks.length ? result.access_checks : null);
  step("Server verification passed: signature, iss, aud, token_use, exp, iat, nonce and at_hash");
  root.dataset.verified = "true";
}

main().catch((error) => discard("The page failed", String(error && error.message)));
