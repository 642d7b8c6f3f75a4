// Raw tokens on demand: Reveal asks the server for one token of this session (POST + anti-forgery
// token), shows it coloured by segment, and offers Copy. Also a live countdown to the access token's expiry.
import { postToApp } from "./post.js";

const box = document.getElementById("raw-tokens");

function span(className, text) {
  const node = document.createElement("span");
  node.className = className;
  node.textContent = text;
  return node;
}

function segments(token) {
  const parts = token.split(".");
  const names = parts.length === 3 ? ["header", "payload", "signature"] : parts.map(() => "opaque");
  const nodes = [];
  parts.forEach((part, i) => {
    if (i) nodes.push(span("seg-dot", "."));
    nodes.push(span(`seg seg-${names[i]}`, part));
  });
  return nodes;
}

async function reveal(card) {
  const response = await postToApp(box.dataset.revealUrl, box.dataset.csrf, { which: card.dataset.which });
  const body = await response.json().catch(() => ({}));
  const pre = card.querySelector("pre");
  if (!response.ok || !body.token) {
    card.querySelector(".copied").textContent = body.error || `The server answered HTTP ${response.status}.`;
    return;
  }
  pre.replaceChildren(...segments(body.token));
  pre.hidden = false;
  const field = card.querySelector("textarea");
  if (field) field.value = body.token;
  card.querySelector(".reveal").hidden = true;
  const copy = card.querySelector(".copy");
  copy.hidden = false;
  copy.addEventListener("click", async () => {
    const status = card.querySelector(".copied");
    try {
      await navigator.clipboard.writeText(body.token);
      status.textContent = "Copied.";
    } catch {
      const range = document.createRange();
      range.selectNodeContents(pre);
      window.getSelection().removeAllRanges();
      window.getSelection().addRange(range);
      status.textContent = "Selected: press Ctrl+C (or Cmd+C) to copy.";
    }
    card.dataset.copied = "true";
  });
  card.dataset.revealed = "true";
}

function two(n) {
  return String(n).padStart(2, "0");
}

function countdown() {
  const target = document.getElementById("access-countdown");
  const exp = Number(box.dataset.exp);
  if (!target || !exp) return;
  const tick = () => {
    const left = Math.round(exp - Date.now() / 1000);
    const abs = Math.abs(left);
    const text = `${Math.floor(abs / 3600) ? `${Math.floor(abs / 3600)}:` : ""}${two(Math.floor((abs % 3600) / 60))}:${two(abs % 60)}`;
    target.textContent = left >= 0 ? `expires in ${text}` : `expired ${text} ago`;
    target.dataset.remaining = String(left);
    target.classList.toggle("bad-text", left < 0);
  };
  tick();
  window.setInterval(tick, 1000);
}

if (box) {
  for (const card of box.querySelectorAll(".raw-token")) {
    card.querySelector(".reveal").addEventListener("click", () => reveal(card));
  }
  countdown();
}
