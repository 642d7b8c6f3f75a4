// The browser-only flow's callback. Order matters: read code and state once, strip them from the
// address bar, take the transaction out of sessionStorage, then trade the code at the provider's
// token endpoint from this page (no secret; PKCE proves it is the same browser). The tokens live in
// this module's memory only: never in storage, a cookie or the server session.
import { openedAgain, openedAgainText, shortenResponse, showChecks, stepList, tokenCard } from "./dom.js";
import { decodeJwt, describeTime } from "./jwt.js";
import { postToApp } from "./post.js";
import { takeTransaction, TX_MAX_AGE_MS } from "./spa_pkce.js";
import { pause } from "./spa_presenter.js";

const query = new URLSearchParams(window.location.search.slice(1));
const hadQuery = window.location.search.length > 1;
history.replaceState(null, "", window.location.pathname);
const tx = takeTransaction();

const root = document.getElementById("spa");
const config = JSON.parse(root.dataset.config || "{}");
const meanings = JSON.parse(root.dataset.meanings || "{}");
const claimGroups = JSON.parse(root.dataset.claimGroups || "[]");
const steps = document.getElementById("steps");
const tokensBox = document.getElementById("tokens");
const result = document.getElementById("spa-result");

let tokens = null; // page memory only

const step = stepList(steps);

function discard(title, detail, hint = "") {
  tokens = null;
  tokensBox.replaceChildren();
  document.getElementById("actions").hidden = true;
  document.getElementById("error-title").textContent = title;
  document.getElementById("error-detail").textContent = detail;
  document.getElementById("error-hint").textContent = hint;
  document.getElementById("error").hidden = false;
  step("Nothing kept: tokens (if any) dropped from page memory", false);
}

// What the token endpoint answered, as lab/display.py shows a token response (the refresh token hidden).
function describeResponse(body) {
  return JSON.stringify(shortenResponse(body, root.dataset.refreshHidden), null, 2);
}

// Tell this browser's trace (/trace) what the page did at the provider: method, URL and status only.
function report(step, method, url, status) {
  postToApp(root.dataset.traceUrl, root.dataset.csrf, { step, method, url, status }).catch(() => {});
}

async function readJson(response) {
  try {
    return await response.json();
  } catch {
    return {};
  }
}

// A cross-origin POST with a form body: a CORS "simple" request, so no preflight; the provider's
// Access-Control-Allow-Origin on the answer (errors included) lets this page read it.
async function tokenRequest(form) {
  const response = await fetch(config.token_endpoint, {
    method: "POST",
    body: new URLSearchParams(form),
    credentials: "omit",
    cache: "no-store",
  });
  if (form.grant_type === "refresh_token") report("refresh", "POST", config.token_endpoint, response.status);
  return { response, body: await readJson(response) };
}

function explainTokenError(status, body) {
  const error = body.error || `HTTP ${status}`;
  const hints = {
    invalid_grant: "The code was used already, expired (5 minutes), or the code_verifier does not match the challenge.",
    invalid_client: "The client is not public: a client with a secret cannot be used from a browser.",
    unauthorized_client: "The app client is not allowed the authorization code grant, or the redirect_uri differs.",
  };
  return { error, hint: hints[error] || "" };
}

async function verify() {
  const response = await postToApp(root.dataset.verifyUrl, root.dataset.csrf, {
    id_token: tokens.id_token,
    access_token: tokens.access_token,
    state: tx.state,
    received: Object.keys(tokens).filter((k) => k.endsWith("_token")),
  });
  const body = await readJson(response);
  return body.valid === undefined ? { valid: false, error: `the server answered HTTP ${response.status}` } : body;
}

async function userInfo() {
  // Authorization is not a CORS-safelisted header: the browser first sends an OPTIONS preflight.
  const response = await fetch(config.userinfo_endpoint, {
    headers: { Authorization: `Bearer ${tokens.access_token}` },
    credentials: "omit",
    cache: "no-store",
  });
  report("userinfo", "GET", config.userinfo_endpoint, response.status);
  const body = await readJson(response);
  result.textContent = `userInfo answered HTTP ${response.status}\n${JSON.stringify(body, null, 2)}`;
  root.dataset.userinfo = String(response.status);
}

async function refresh() {
  if (!tokens.refresh_token) {
    result.textContent = "No refresh token in page memory (revoked or never issued).";
    return;
  }
  await pause({
    title: "Refresh the tokens, from this page",
    method: "POST",
    url: config.token_endpoint,
    pairs: [
      ["grant_type", "refresh_token"],
      ["client_id", config.client_id],
      ["refresh_token", "$REFRESH_TOKEN"],
    ],
    expect: "New ID and access tokens. The refresh token that made them sits in JavaScript: the risk stated below.",
  });
  const { response, body } = await tokenRequest({
    grant_type: "refresh_token",
    client_id: config.client_id,
    refresh_token: tokens.refresh_token,
  });
  if (!response.ok) {
    const { error, hint } = explainTokenError(response.status, body);
    result.textContent = `Refresh refused: HTTP ${response.status} ${error}. ${body.error_description || ""} ${hint}`;
    root.dataset.refreshed = error;
    return;
  }
  tokens = { ...tokens, ...body };
  const exp = decodeJwt(tokens.access_token).payload.exp;
  result.textContent = `Refreshed from the browser: new access token expires ${describeTime(exp)}.\n${describeResponse(body)}`;
  root.dataset.refreshed = "true";
}

async function revoke() {
  if (!tokens.refresh_token) {
    result.textContent = "No refresh token in page memory to revoke.";
    return;
  }
  await pause({
    title: "Revoke the refresh token, from this page",
    method: "POST",
    url: config.revocation_endpoint,
    pairs: [
      ["token", "$REFRESH_TOKEN"],
      ["client_id", config.client_id],
    ],
    expect: "200 with an empty body; the refresh token and every token issued from it are revoked at the provider.",
  });
  const response = await fetch(config.revocation_endpoint, {
    method: "POST",
    body: new URLSearchParams({ token: tokens.refresh_token, client_id: config.client_id }),
    credentials: "omit",
  });
  report("revoke", "POST", config.revocation_endpoint, response.status);
  const body = await readJson(response);
  if (response.ok) {
    tokens.refresh_token = null;
    result.textContent = "Revoked: the refresh token and the tokens issued from it are dead at the provider.";
    root.dataset.revoked = "true";
  } else {
    result.textContent = `Revoke refused: HTTP ${response.status} ${body.error || ""}`;
    root.dataset.revoked = body.error || String(response.status);
  }
}

function wire(id, action) {
  const button = document.getElementById(id);
  button.addEventListener("click", () => {
    button.disabled = true;
    action()
      .catch((error) => {
        result.textContent = `The request failed in the browser: ${error.message}`;
      })
      .finally(() => {
        button.disabled = false;
      });
  });
}

async function main() {
  step(hadQuery ? "Read code and state from the query once" : "The URL carried no query");
  step("Removed them from the address bar with history.replaceState");
  step(tx ? "Took state, nonce and the verifier out of sessionStorage (it is empty now)" : "No transaction in sessionStorage");
  const error = query.get("error");
  if (error) {
    const causes = JSON.parse(root.dataset.causes || "{}");
    discard(
      `The provider returned error=${error}`,
      query.get("error_description") || "No description was given.",
      causes[error] || "",
    );
    return;
  }
  const again = hadQuery ? "" : openedAgain();
  if (again) {
    const lastRun = JSON.parse(root.dataset.lastRun || "null");
    const said = openedAgainText(again, lastRun, "Its code was used once and its transaction left this tab's sessionStorage on the first load; the tokens lived only in that page's memory.");
    discard(said.title, said.detail);
    document.getElementById("error-result").hidden = false;
    return;
  }
  if (!tx || typeof tx.verifier !== "string") {
    discard("No sign-in was started in this tab", "The verifier lives in this tab's sessionStorage; start from /spa.");
    return;
  }
  if (query.get("state") !== tx.state) {
    discard("state does not match", "This callback does not answer the sign-in this tab started. Nothing was sent.");
    return;
  }
  if (Date.now() - tx.created > TX_MAX_AGE_MS) {
    discard("The sign-in is older than 10 minutes", "Start again.");
    return;
  }
  const code = query.get("code");
  if (!code) {
    discard("No code in the callback", "The provider sent neither a code nor an error.");
    return;
  }
  step("state matches the one this tab made");
  await pause({
    title: "Trade the code at the token endpoint, from this page",
    method: "POST",
    url: config.token_endpoint,
    pairs: [
      ["grant_type", "authorization_code"],
      ["client_id", config.client_id],
      ["code", "$CODE"],
      ["redirect_uri", config.redirect_uri],
      ["code_verifier", "$CODE_VERIFIER"],
    ],
    live: { code, code_verifier: tx.verifier },
    expect:
      "This page POSTs these to the token endpoint itself, cross-origin and with no secret; the provider's CORS " +
      "lets it read the answer. The code_verifier proves this is the browser that started the sign-in. Tokens " +
      "come back into this page's memory.",
  });
  const { response, body } = await tokenRequest({
    grant_type: "authorization_code",
    client_id: config.client_id,
    code,
    redirect_uri: config.redirect_uri,
    code_verifier: tx.verifier,
  });
  if (!response.ok) {
    report("token", "POST", config.token_endpoint, response.status);
    const { error: name, hint } = explainTokenError(response.status, body);
    discard(`The token endpoint refused the code: ${name}`, body.error_description || `HTTP ${response.status}`, hint);
    return;
  }
  if (!body.id_token || !body.access_token) {
    discard("No ID token in the token response", "Expected id_token and access_token. Was openid in the scope?");
    return;
  }
  tokens = body;
  step("POSTed the code and code_verifier to the token endpoint from this page (no secret); tokens are in page memory");
  result.textContent = `Token endpoint answered HTTP ${response.status}\n${describeResponse(body)}`;
  const card = { meanings, groups: claimGroups };
  tokensBox.append(
    tokenCard("ID token", "id", tokens.id_token, card),
    tokenCard("Access token", "access", tokens.access_token, card),
  );
  step("Posted the ID and access tokens with the state to /api/spa/verify (the server checks its nonce)");
  const verdict = await verify();
  // reported now: a verified sign-in starts a new trace, which this report then joins
  report("token", "POST", config.token_endpoint, response.status);
  if (!verdict.valid) {
    discard("Server-side verification failed", verdict.error || "unknown error");
    return;
  }
  showChecks("id", verdict.checks);
  showChecks("access", verdict.access_checks && verdict.access_checks.length ? verdict.access_checks : null);
  step("Server verification passed: signature, iss, aud (this public client), token_use, exp, iat, nonce, at_hash");
  document.getElementById("actions").hidden = false;
  wire("spa-userinfo", userInfo);
  wire("spa-refresh", refresh);
  wire("spa-revoke", revoke);
  root.dataset.verified = "true";
}

main().catch((error) => discard("The page failed", String(error && error.message)));
