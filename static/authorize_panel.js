// The authorize panel's live preview. URLSearchParams encodes exactly as the server does
// (oauth/authorize_panel.build_url), so the preview is the URL the browser is then sent to. Each
// parameter is its own span, and what the last edit changed is highlighted (in the URL and the table)
// until the next edit.
import { softBreaks } from "./dom.js";

const form = document.getElementById("authorize-panel");
const preview = document.getElementById("authorize-preview");
const endpoint = form.dataset.endpoint;
const fixed = JSON.parse(form.dataset.fixed);
const order = JSON.parse(form.dataset.order);
let before = null; // the values the preview showed before this edit

function values() {
  const data = new FormData(form);
  const type = data.get("response_type") || "code";
  const edited = {
    response_type: type,
    scope: [...new Set(data.getAll("scope"))].join(" "),
    prompt: data.get("prompt") || "",
    identity_provider: (data.get("identity_provider") || "").trim(),
    idp_identifier: (data.get("idp_identifier") || "").trim(),
    lang: data.get("lang") || "",
    login_hint: (data.get("login_hint") || "").trim(),
  };
  return { ...edited, ...fixed[type] };
}

function span(className, text) {
  const node = document.createElement("span");
  node.className = className;
  node.textContent = text;
  return node;
}

function render() {
  const all = values();
  // "input" and "change" both follow one edit: the second finds nothing new and keeps the highlight
  if (before !== null && order.every((name) => (before[name] || "") === (all[name] || ""))) return;
  const nodes = [document.createTextNode(`${endpoint}${endpoint.includes("?") ? "&" : "?"}`)];
  for (const name of order) {
    if (!all[name]) continue;
    if (nodes.length > 1) nodes.push(document.createTextNode("&"));
    const pair = span("param", new URLSearchParams([[name, all[name]]]).toString());
    pair.dataset.param = name;
    pair.classList.toggle("changed", before !== null && before[name] !== all[name]);
    nodes.push(pair);
  }
  preview.replaceChildren(...nodes);
  for (const row of document.querySelectorAll("#authorize-params tr[data-param]")) {
    const name = row.dataset.param;
    const value = all[name] || "";
    row.querySelector(".value").replaceChildren(...softBreaks(value || "(not sent)"));
    row.classList.toggle("unused", !value);
    row.classList.toggle("changed", before !== null && (before[name] || "") !== value);
  }
  before = all;
}

form.addEventListener("input", render);
form.addEventListener("change", render);
render();
form.dataset.ready = "true";
