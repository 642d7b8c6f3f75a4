"""A scripted browser: its own cookie jar, sending what a browser (or a script in one) sends, nothing more.

It uses the client's HTTP layer (timeouts, bounded bodies, failures as ProviderError) and never follows a
redirect by itself: each hop is a request the run decides to make. Its cookies can be saved between two
requests to the lab (a presenter pause) as plain values.
"""

from __future__ import annotations

import html
import re
import time
from http.cookiejar import Cookie
from urllib.parse import urlencode, urlsplit

from oauth.http import Http, ProviderError, Reply

from .model import Party, Target

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
COOKIE_FIELDS = ("name", "value", "domain", "path", "secure", "expires", "port")


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class Browser:
    """One scripted browser (the victim's or the attacker's)."""

    def __init__(self, name: str, target: Target, cookies: list[dict] | None = None, deadline: float | None = None):
        self.name = name
        self.target = target
        self.deadline = deadline  # time.monotonic() after which the run sends nothing more
        self.http = Http(timeout=target.timeout)
        self.http.session.headers["User-Agent"] = f"flowlab-attack-lab ({name})"
        for saved in cookies or []:
            self.http.session.cookies.set_cookie(_cookie(saved))

    def send(self, step: str, method: str, url: str, headers: dict[str, str] | None = None, body: str = "") -> Reply:
        """One request, as it is (a redirect is returned, not followed); none after the run's deadline."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise ProviderError(step, "was not sent: the run took too long (this app or the provider is slow)")
        return self.http.request(step, method, url, headers=headers or {}, data=body.encode() if body else None)

    def get(self, step: str, url: str) -> Reply:
        return self.send(step, "GET", url)

    def post_form(self, step: str, url: str, form: dict[str, str]) -> Reply:
        """A form a page of `url`'s own origin posts, as a browser sends it (Origin, same-origin)."""
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": origin(url),
            "Sec-Fetch-Site": "same-origin",
        }
        return self.send(step, "POST", url, headers, urlencode(form))

    def cookie(self, name: str) -> str | None:
        """The value of one cookie of this browser, or None."""
        return next((c.value for c in self.http.session.cookies if c.name == name), None)

    def has_cookies(self) -> bool:
        return bool(len(self.http.session.cookies))

    def saved(self) -> list[dict]:
        """The jar as plain values (to keep across a presenter pause, server-side)."""
        return [{key: getattr(c, key) for key in COOKIE_FIELDS} for c in self.http.session.cookies]

    # -- what a person does in this browser ---------------------------------------------------------------
    def sign_in(self, authorize_url: str, party: Party) -> Reply:
        """Open an authorize URL and, when the provider shows its sign-in form, sign in as `party`; the answer
        is the provider's redirect back to the app (or the provider's refusal)."""
        first = self.get("authorize", authorize_url)
        login_page = first.headers.get("Location", "")
        if first.status != 302 or not login_page.startswith(origin(authorize_url) + "/login?"):
            return first  # a provider session answered at once, or the provider refused
        page = self.get("sign_in_form", login_page)
        form = {name: html.unescape(value) for name, value in HIDDEN.findall(page.body.decode("utf-8", "replace"))}
        form.update(username=party.username, password=party.password)
        return self.post_form("sign_in", login_page.split("?")[0], form)

    def csrf_token(self) -> str:
        """This browser's anti-forgery token at the app, from the sign-out page's form (the same on every page)."""
        page = self.get("csrf", self.target.app_url + "/logout")
        found = FORM_CSRF.search(page.body.decode("utf-8", "replace"))
        return html.unescape(found.group(1)) if found else ""


def _cookie(saved: dict) -> Cookie:
    domain = str(saved.get("domain") or "")
    path = str(saved.get("path") or "/")
    port = saved.get("port")
    return Cookie(
        version=0,
        name=str(saved.get("name")),
        value=str(saved.get("value")),
        port=port if isinstance(port, str) else None,
        port_specified=isinstance(port, str),
        domain=domain,
        domain_specified=domain.startswith("."),
        domain_initial_dot=domain.startswith("."),
        path=path,
        path_specified=True,
        secure=bool(saved.get("secure")),
        expires=saved.get("expires") if isinstance(saved.get("expires"), int) else None,
        discard=not isinstance(saved.get("expires"), int),
        comment=None,
        comment_url=None,
        rest={"HttpOnly": ""},
    )
