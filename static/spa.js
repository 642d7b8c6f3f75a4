// The browser-only flow's start: get this sign-in's state and nonce from the server (it keeps them,
// single use, to check the ID token the callback posts back), make the PKCE pair here, keep them in
// sessionStorage, and send the browser to the authorize endpoint. No secret exists in this flow.
import { postToApp } from "./post.js";
import { randomString, s256, saveTransaction } from "./spa_pkce.js";
import { pause } from "./spa_presenter.js";

const root = document.getElementById("spa");
const config = JSON.parse(root.dataset.config || "{}");
const steps = document.getElementById("steps");
const button = document.getElementById("spa-start");

function step(text) {
  const item = document.createElement("li");
  item.className = "done";
  item.textContent = text;
  steps.append(item);
}

async function begin() {
  const response = await postToApp(root.dataset.beginUrl, root.dataset.csrf);
  const body = await response.json().catch(() => ({}));
  if (!response.ok || typeof body.state !== "string" || typeof body.nonce !== "string") {
    throw new Error(body.error || `the server answered HTTP ${response.status}`);
  }
  return body;
}

export async function authorizeUrl() {
  const { state, nonce } = await begin();
  const verifier = randomString(32); // 43 characters, the RFC 7636 minimum length is 43
  const challenge = await s256(verifier);
  saveTransaction({ state, nonce, verifier, created: Date.now() });
  const url = new URL(config.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: config.client_id,
    redirect_uri: config.redirect_uri,
    scope: config.scope,
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: "S256",
  }).toString();
  return url.toString();
}

async function start() {
  button.disabled = true;
  const url = await authorizeUrl();
  step("Got this sign-in's state and nonce from the server (single use, kept in its session)");
  step("Made code_verifier with crypto.getRandomValues and code_challenge = base64url(SHA-256(verifier))");
  step("Kept state, nonce and the verifier in sessionStorage until the callback");
  const target = new URL(url);
  await pause({
    title: "Send the browser to the authorize endpoint (browser-only flow)",
    method: "GET",
    url: `${target.origin}${target.pathname}`,
    pairs: [...target.searchParams.entries()],
    expect:
      "The provider shows its sign-in page, then redirects to /spa/callback with a one-time code. The verifier " +
      "stays in this tab's sessionStorage; only its S256 challenge is in the URL.",
  });
  step("Sending the browser to the authorize endpoint");
  window.location.assign(url);
}

if (!window.isSecureContext || !crypto.subtle) {
  step("WebCrypto needs a secure context: open the app over https, or on localhost / 127.0.0.1.");
} else {
  button.disabled = false;
  button.addEventListener("click", () => start().catch((error) => step(`Failed: ${error.message}`)));
}
