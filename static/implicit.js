// The implicit-grant landing page. Order matters: read the fragment once, remove it from the
// address bar before any request, then show and verify. Tokens live in this module's memory only.
import { checkItem, el, openedAgain, openedAgainText, shortToken } from "./dom.js";
import { decodeJwt, describeTime, TIME_CLAIMS } from "./jwt.js";

const rawFragment = window.location.hash.slice(1);
const fragment = new URLSearchParams(rawFragment);
const query = new URLSearchParams(window.location.search.slice(1));
const hadFragment = window.location.hash.length > 1;
history.replaceState(null, "", window.location.pathname);

const root = document.getElementById("implicit");
const meanings = JSON.parse(root.dataset.meanings || "{}");
const steps = document.getElementById("steps");
const tokensBox = document.getElementById("tokens");

let tokens = {
  id_token: fragment.get("id_token"),
  access_token: fragment.get("access_token"),
  state: fragment.get("state"),
};

function step(text, ok = true) {
  const item = el("li", ok ? "done" : "failed", text);
  steps.append(item);
}

const TOKEN_PARAMS = new Set(["access_token", "id_token"]);

// The fragment exactly as it arrived: tokens shortened, the full value on click.
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
    button.replaceWith(el("span", "frag-value", shortToken(button.textContent)));
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

function claimsTable(payload) {
  const table = el("table", "claims");
  const head = table.createTHead().insertRow();
  for (const name of ["Claim", "Value and meaning"]) {
    const th = el("th", "", name);
    th.scope = "col";
    head.append(th);
  }
  const body = table.createTBody();
  for (const [name, value] of Object.entries(payload)) {
    const row = body.insertRow();
    row.dataset.claim = name;
    const th = el("th");
    th.scope = "row";
    th.append(el("code", "", name));
    const td = el("td");
    td.append(el("code", "", JSON.stringify(value)));
    if (TIME_CLAIMS.has(name)) td.append(el("div", "time", describeTime(value)));
    if (meanings[name]) td.append(el("div", "meaning", meanings[name]));
    row.append(th, td);
  }
  return table;
}

function tokenCard(title, kind, token) {
  const card = el("article", "card token");
  card.id = `token-${kind}`;
  const head = el("header", "token-head");
  head.append(el("h2", "", title), el("span", "pill pending", "verifying…"));
  head.append(
    el(
      "p",
      "arrival",
      "Arrived on the front channel: in the redirect's URL fragment, through your browser. No client authentication, no back channel.",
    ),
  );
  card.append(head);
  try {
    const { header, payload } = decodeJwt(token);
    card.append(claimsTable(payload));
    const checks = el("details", "checks-row");
    checks.append(el("summary", "checks-summary", "Checks: waiting for the server"), el("ul", "checks"));
    const head = el("details", "header-row");
    head.append(el("summary", "", "JWT header"), el("pre", "json", JSON.stringify(header, null, 2)));
    card.append(checks, head);
  } catch (error) {
    card.append(el("p", "hint", `Not decodable as a JWT: ${error.message}`));
  }
  return card;
}

function showChecks(kind, checks) {
  const card = document.getElementById(`token-${kind}`);
  if (!card || !checks) return;
  const list = card.querySelector(".checks");
  const pill = card.querySelector(".pill");
  const failed = checks.filter((c) => !c.passed);
  pill.className = failed.length ? "pill bad" : "pill ok";
  pill.textContent = failed.length ? `failed: ${failed.map((c) => c.name).join(", ")}` : "verified";
  if (!list) return;
  const summary = card.querySelector(".checks-summary");
  summary.textContent = `${checks.length - failed.length} of ${checks.length} checks passed`;
  summary.className = `checks-summary ${failed.length ? "bad-text" : "good-text"}`;
  if (failed.length) card.querySelector(".checks-row").open = true;
  for (const check of checks) list.append(checkItem(check));
}

async function verify() {
  const response = await fetch(root.dataset.verifyUrl, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": root.dataset.csrf },
    body: JSON.stringify({
      ...tokens,
      // the fragment's shape, token values left out (the server fills in the ones posted above)
      fragment: rawFragment
        .split("&")
        .map((pair) => (TOKEN_PARAMS.has(pair.split("=")[0]) ? `${pair.split("=")[0]}=` : pair))
        .join("&")
        .slice(0, 4096),
      elapsed_ms: Math.round(performance.now()),
    }),
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
  tokensBox.append(tokenCard("ID token", "id", tokens.id_token), tokenCard("Access token", "access", tokens.access_token));
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
