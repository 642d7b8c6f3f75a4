// The authorize panel's live preview. URLSearchParams encodes exactly as the server does
// (oauth/authorize_panel.build_url), so the preview is the URL the browser is then sent to.
const form = document.getElementById("authorize-panel");
const preview = document.getElementById("authorize-preview");
const endpoint = form.dataset.endpoint;
const fixed = JSON.parse(form.dataset.fixed);
const order = JSON.parse(form.dataset.order);

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

function render() {
  const all = values();
  const params = new URLSearchParams();
  for (const name of order) {
    if (all[name]) params.append(name, all[name]);
  }
  preview.textContent = `${endpoint}${endpoint.includes("?") ? "&" : "?"}${params.toString()}`;
  for (const row of document.querySelectorAll("#authorize-params tr[data-param]")) {
    const value = all[row.dataset.param] || "";
    row.querySelector(".value").textContent = value || "(not sent)";
    row.classList.toggle("unused", !value);
  }
}

form.addEventListener("input", render);
form.addEventListener("change", render);
render();
form.dataset.ready = "true";
