// Presenter mode for the browser-only flow: the page itself is the client, so the pauses are here.
// pause() resolves at once when presenter mode is off; otherwise after "Continue". The pause is a layer
// over the page where you are (the page does not scroll), sized to one screen. Values a watcher could
// use (the code, the PKCE verifier) show as the trace's placeholders; "Show the live values" reveals
// them, with a warning that they are live.
const screen = document.getElementById("presenter");
let showLive = null; // what "Show the live values" does for the pause on screen

if (screen) {
  screen.querySelector("#reveal-live").addEventListener("click", () => showLive && showLive());
}

export function presenting() {
  return Boolean(screen) && screen.dataset.on === "true";
}

function row(name, value, meaning) {
  const tr = document.createElement("tr");
  tr.dataset.param = name;
  const th = document.createElement("th");
  th.scope = "row";
  const code = document.createElement("code");
  code.textContent = name;
  th.append(code);
  const td = document.createElement("td");
  const valueCode = document.createElement("code");
  valueCode.textContent = value;
  const help = document.createElement("div");
  help.className = "meaning";
  help.textContent = meaning;
  td.append(valueCode, help);
  tr.append(th, td);
  return tr;
}

// `live`: {name: value} for the rows whose value shows as a placeholder until revealed.
export function pause({ title, method, url, pairs, expect, live = {} }) {
  if (!presenting()) return Promise.resolve();
  const help = JSON.parse(screen.dataset.help || "{}");
  screen.querySelector("h1").textContent = title;
  screen.querySelector(".method").textContent = method;
  screen.querySelector(".request code").textContent = url;
  const body = screen.querySelector("tbody");
  body.replaceChildren(...pairs.map(([name, value]) => row(name, value, help[name] || "")));
  screen.querySelector(".expect span").textContent = expect;
  const reveal = screen.querySelector("#reveal-live");
  const warning = screen.querySelector("#live-warning");
  warning.hidden = true;
  reveal.hidden = Object.keys(live).length === 0;
  showLive = () => {
    for (const [name, value] of Object.entries(live)) {
      const cell = body.querySelector(`tr[data-param="${name}"] td code`);
      if (cell) cell.textContent = value;
    }
    warning.hidden = false;
    reveal.hidden = true;
  };
  const before = document.activeElement;
  screen.hidden = false;
  screen.scrollTop = 0;
  const button = screen.querySelector("#continue");
  button.focus({ preventScroll: true });
  return new Promise((resolve) => {
    button.addEventListener(
      "click",
      () => {
        screen.hidden = true;
        showLive = null;
        if (before instanceof HTMLElement) before.focus({ preventScroll: true });
        resolve();
      },
      { once: true },
    );
  });
}
