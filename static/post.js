// The one way a page POSTs to this app: same-origin cookies and the anti-forgery token (the page's
// data-csrf) in X-CSRF-Token; a JSON body when one is given.
export function postToApp(url, csrf, body) {
  const headers = { "X-CSRF-Token": csrf };
  const init = { method: "POST", credentials: "same-origin", headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  return fetch(url, init);
}
