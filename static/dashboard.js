// Optional auto-refresh: 60 s before the access token expires, ask the server to refresh.
// The tokens never pass through this script; it only triggers the server-side refresh.
import { postToApp } from "./post.js";

const summary = document.getElementById("summary");

function scheduleAutoRefresh() {
  if (!summary || summary.dataset.autoRefresh !== "on" || !summary.dataset.accessExp) return;
  const due = Number(summary.dataset.accessExp) * 1000 - 60_000;
  const delay = Math.max(due - Date.now(), 1000);
  window.setTimeout(async () => {
    await postToApp(summary.dataset.refreshUrl, summary.dataset.csrf);
    window.location.reload();
  }, Math.min(delay, 2 ** 31 - 1));
}

scheduleAutoRefresh();
