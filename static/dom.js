// Small DOM helpers shared by the pages that show tokens in the browser (implicit, browser-only).

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// A token shortened the way the server shortens it: enough to recognise, not to use.
export function shortToken(value) {
  return typeof value === "string" && value.length > 24 ? `${value.slice(0, 12)}…${value.slice(-4)}` : value;
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
