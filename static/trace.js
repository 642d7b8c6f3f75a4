// Trace page: copy a curl command; reveal a full token (signed-in owner only, fetched on demand).
for (const button of document.querySelectorAll("button.copy")) {
  button.addEventListener("click", async () => {
    const text = document.getElementById(button.dataset.copy).textContent;
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    } catch {
      button.textContent = "Select and copy the text above";
    }
  });
}

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
