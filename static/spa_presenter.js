// Presenter mode for the browser-only flow: the page itself is the client, so the pauses are here.
// pause() resolves at once when presenter mode is off; otherwise after "Continue".
const screen = document.getElementById("presenter");

export function presenting() {
  return Boolean(screen) && screen.dataset.on === "true";
}

export function pause({ title, method, url, pairs, expect }) {
  if (!presenting()) return Promise.resolve();
  const help = JSON.parse(screen.dataset.help || "{}");
  screen.querySelector("h1").textContent = title;
  screen.querySelector(".method").textContent = method;
  screen.querySelector(".request code").textContent = url;
  const body = screen.querySelector("tbody");
  body.replaceChildren();
  for (const [name, value] of pairs) {
    const row = body.insertRow();
    row.dataset.param = name;
    const th = document.createElement("th");
    const code = document.createElement("code");
    code.textContent = name;
    th.append(code);
    const td = document.createElement("td");
    const valueCode = document.createElement("code");
    valueCode.textContent = value;
    const meaning = document.createElement("div");
    meaning.className = "meaning";
    meaning.textContent = help[name] || "";
    td.append(valueCode, meaning);
    row.append(th, td);
  }
  screen.querySelector(".expect span").textContent = expect;
  screen.hidden = false;
  const button = screen.querySelector("#continue");
  return new Promise((resolve) => {
    button.addEventListener(
      "click",
      () => {
        screen.hidden = true;
        resolve();
      },
      { once: true },
    );
  });
}
