// The dashboard's rotation panel: count the rotated-out refresh token's grace period down, then let the
// presenter replay it. The token never reaches this page; the button only asks the server to send it.
const panel = document.getElementById("rotation");
const countdown = document.getElementById("grace-countdown");
const button = document.getElementById("replay-old");

function tick(endsAt) {
  const left = Math.max(0, Math.ceil((endsAt - performance.now()) / 1000));
  if (left === 0) {
    countdown.textContent = "The grace is over: the provider now refuses the old token.";
    if (button) button.disabled = false;
    return;
  }
  countdown.textContent = `${left} s left`;
  setTimeout(() => tick(endsAt), 250);
}

if (panel && countdown) tick(performance.now() + Number(panel.dataset.wait) * 1000);
