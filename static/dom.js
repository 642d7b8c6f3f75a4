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
