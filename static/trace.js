// Trace page: copy a curl command (copy.js); reveal a full token (signed-in owner only, fetched on demand).
import "./copy.js";

for (const button of document.querySelectorAll("button.reveal")) {
  button.addEventListener("click", async () => {
    const [step, index] = button.dataset.token.split(".");
    const response = await fetch(`/trace/token/${step}/${index}`, { credentials: "same-origin" });
    const body = await response.json();
    const span = button.previousElementSibling;
    span.textContent = response.ok ? body.value : body.error;
    span.classList.add("revealed");
    button.remove();
  });
}
