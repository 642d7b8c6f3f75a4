// The token pages' shared rendering (the implicit landing page and the browser-only callback): steps,
// token cards with their claims table and checks, shortened tokens and token responses. Text only
// through textContent. The shortening rules are lab/display.py's (the one source of truth; a browser
// test holds this file to it).
import { decodeJwt, describeTime, TIME_CLAIMS } from "./jwt.js";

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// lab/display.py's shorten(): enough to recognise a token, not to use it.
export function shortToken(value, keep = 12) {
  if (typeof value !== "string") return value;
  return value.length <= 2 * keep + 1 ? `${value.slice(0, 4)}…` : `${value.slice(0, keep)}…${value.slice(-4)}`;
}

// lab/display.py's shorten_response(): a token endpoint's answer for display, every token shortened and
// the refresh token replaced by `refreshHidden` (the page says where it is kept).
export function shortenResponse(body, refreshHidden) {
  const out = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === "refresh_token") out[key] = refreshHidden;
    else if (key.endsWith("_token") && typeof value === "string") out[key] = shortToken(value);
    else out[key] = value;
  }
  return out;
}

// A list of steps the page took, in order: step(text) marks one done, step(text, false) failed.
export function stepList(list) {
  return (text, ok = true) => list.append(el("li", ok ? "done" : "failed", text));
}

// One verification check as the server sent it: mark, name, result and why.
export function checkItem(check) {
  const item = el("li", `check ${check.passed ? "ok" : "bad"}`);
  item.dataset.check = check.name;
  item.append(
    el("span", "mark", check.passed ? "✓" : "✗"),
    el("span", "name", check.name),
    el("span", "result", `${check.passed ? "passed" : "failed"}: ${check.detail}`),
    el("span", "why", check.why || ""),
  );
  return item;
}

// lab/claims.py's claim_place(): where a claim goes in a claims table, [group, place], from the table
// of groups the page was handed (data-claim-groups): who, what, when, then technical ids.
export function claimPlace(name, groups) {
  let wildcard = null;
  let custom = null;
  for (const [g, [, names]] of groups.entries()) {
    for (const [i, known] of names.entries()) {
      if (known === name) return [g, i];
      if (known === "*") wildcard = [g, i];
      if (known === "custom:*") custom = [g, i];
    }
  }
  return (name.startsWith("custom:") ? custom : wildcard) || [0, 0];
}

// lab/claims.py's order_claims(): claim names in reading order (ties keep their order).
export function orderClaims(names, groups) {
  const placed = names.map((name, n) => [claimPlace(name, groups), n, name]);
  placed.sort(([a, n], [b, m]) => a[0] - b[0] || a[1] - b[1] || n - m);
  return placed.map(([, , name]) => name);
}

// views/dashboard.py's soft_breaks filter: a value that may wrap only after a separator (/ . : _ , & ? = -), as
// text nodes and <wbr> elements.
export function softBreaks(text) {
  const nodes = [];
  for (const part of String(text).split(/(?<=[/.:_,&?=-])/)) {
    if (nodes.length) nodes.push(document.createElement("wbr"));
    nodes.push(document.createTextNode(part));
  }
  return nodes;
}

function claimsRows(table, payload, names, meanings, meaningColumn) {
  const body = table.createTBody();
  for (const name of names) {
    const value = payload[name];
    const row = body.insertRow();
    row.dataset.claim = name;
    const th = el("th");
    th.scope = "row";
    th.append(el("code", "", name));
    const td = el("td");
    const code = el("code", "value");
    code.append(...softBreaks(JSON.stringify(value)));
    td.append(code);
    if (TIME_CLAIMS.has(name)) td.append(el("div", "time", describeTime(value)));
    if (meaningColumn) {
      row.append(th, td, el("td", "meaning", meanings[name] || ""));
    } else {
      if (meanings[name]) td.append(el("div", "meaning", meanings[name]));
      row.append(th, td);
    }
  }
}

function claimsHead(table, meaningColumn) {
  const head = table.createTHead().insertRow();
  for (const name of meaningColumn ? ["Claim", "Value", "Meaning"] : ["Claim", "Value and meaning"]) {
    const th = el("th", "", name);
    th.scope = "col";
    head.append(th);
  }
}

// The decoded claims in reading order (`groups`, lab/claims.py's CLAIM_GROUPS), one row each, with the
// time claims in words and what each claim means (`meanings`): below the value, or in a column of its own
// with `meaningColumn`. The technical ids (nonce, at_hash, jti…) wait in a row that opens.
export function claimsTable(payload, meanings, { meaningColumn = false, groups = [] } = {}) {
  const names = orderClaims(Object.keys(payload), groups);
  const technical = groups.findIndex(([group]) => group === "technical");
  const shown = names.filter((n) => claimPlace(n, groups)[0] !== technical);
  const folded = names.filter((n) => claimPlace(n, groups)[0] === technical);
  const box = el("div", "claims-box");
  const table = el("table", "claims");
  claimsHead(table, meaningColumn);
  claimsRows(table, payload, shown, meanings, meaningColumn);
  box.append(table);
  if (folded.length) {
    const more = el("details", "more-claims");
    more.append(el("summary", "", `${folded.length} technical claim${folded.length === 1 ? "" : "s"}: ${folded.join(", ")}`));
    const rest = el("table", "claims");
    claimsHead(rest, meaningColumn);
    claimsRows(rest, payload, folded, meanings, meaningColumn);
    more.append(rest);
    box.append(more);
  }
  return box;
}

// A token's card, its checks pending until the server answers: how it came (`arrival`), its claims in
// reading order (`groups`) with their `meanings`, then the checks and the JWT header as rows that open.
export function tokenCard(title, kind, token, { meanings = {}, arrival = "", groups = [] } = {}) {
  const card = el("article", "card token");
  card.id = `token-${kind}`;
  const head = el("header", "token-head");
  head.append(el("h2", "", title), el("span", "pill pending", "verifying…"));
  if (arrival) head.append(el("p", "arrival", arrival));
  card.append(head);
  try {
    const { header, payload } = decodeJwt(token);
    card.append(claimsTable(payload, meanings, { groups }));
    const checks = el("details", "checks-row");
    checks.append(el("summary", "checks-summary", "Checks: waiting for the server"), el("ul", "checks"));
    const headerRow = el("details", "header-row");
    headerRow.append(el("summary", "", "JWT header"), el("pre", "json", JSON.stringify(header, null, 2)));
    card.append(checks, headerRow);
  } catch (error) {
    card.append(el("p", "hint", `Not decodable as a JWT: ${error.message}`));
  }
  return card;
}

// The server's verdict on a token card: the pill, the summary (when the card folds its checks; opened
// when one failed) and every check.
export function showChecks(kind, checks) {
  const card = document.getElementById(`token-${kind}`);
  if (!card || !checks) return;
  const list = card.querySelector(".checks");
  const pill = card.querySelector(".pill");
  const failed = checks.filter((c) => !c.passed);
  pill.className = failed.length ? "pill bad" : "pill ok";
  pill.textContent = failed.length ? `failed: ${failed.map((c) => c.name).join(", ")}` : "verified";
  if (!list) return;
  const summary = card.querySelector(".checks-summary");
  if (summary) {
    summary.textContent = `${checks.length - failed.length} of ${checks.length} checks passed`;
    summary.className = `checks-summary ${failed.length ? "bad-text" : "good-text"}`;
    if (failed.length) card.querySelector(".checks-row").open = true;
  }
  for (const check of checks) list.append(checkItem(check));
}

// How this page was reached: a reload or Back/Forward opens a callback page again, after its first
// load already took the tokens (or the code) out of the address bar. Returns "reload", "back_forward"
// or "" (a first visit).
export function openedAgain() {
  const [entry] = performance.getEntriesByType("navigation");
  return entry && (entry.type === "reload" || entry.type === "back_forward") ? entry.type : "";
}

// What a callback page opened again says (`lastRun`: the server's record of this browser's last run
// of the flow, {verified, error} or null; `what`: where the page's first load kept its tokens).
export function openedAgainText(how, lastRun, what) {
  const title = how === "reload" ? "This page was reloaded" : "This page was opened again (Back or Forward)";
  if (!lastRun) {
    return { title, detail: `${what} No sign-in result is recorded for this browser; start a new sign-in.` };
  }
  const outcome = lastRun.verified ? "its tokens verified" : `its tokens were refused (${lastRun.error || "see Compare"})`;
  return {
    title: `${title}: the sign-in already completed`,
    detail: `The sign-in this page showed is done, and ${outcome}. ${what} Its result is on Compare the flows.`,
  };
}
