// A presenter pause before the code exchange: count the authorization code's remaining life down, so
// a long pause is seen running out (the server rendered the first value; this keeps it current).
const clock = document.getElementById("code-clock");

function tick() {
  const left = Math.max(0, Math.floor((Number(clock.dataset.expiresAt) - Date.now()) / 1000));
  if (left === 0) {
    clock.textContent = "The code has expired: Continue will be refused; sign in again.";
    clock.classList.add("bad-text");
    return;
  }
  const seconds = String(left % 60).padStart(2, "0");
  clock.textContent = `The code expires in ${Math.floor(left / 60)}:${seconds} (codes live 5 minutes).`;
  setTimeout(tick, 1000);
}

if (clock) tick();
