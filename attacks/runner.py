"""Running an attack: setup steps (the users' own), then each attacker request, recorded as it goes.

A run is a list of `Move`s. A move's setup runs first (a sign-in, a page load: never paused); then its
attacker request is prepared from what the run holds, so that preparing it again after a presenter pause
gives the very same request, and sent; its answer is read as a refusal or as what the attacker won. The
run's state (`Lab.state()`: cookie jars, what the run holds, what it recorded) is plain data a presenter
pause keeps server-side; nothing of it reaches a page unredacted.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from oauth.grants import basic_auth
from oauth.http import Http, Reply
from oauth.transactions import pkce_challenge

from .browser import Browser
from .catalogue import PROVIDER
from .model import Party, Prepared, Refusal, Target, Verdict
from .record import Entry, attack_step

APP_SESSION_COOKIES = ("flowlab_session", "__Host-flowlab")
TRACE_COOKIES = ("flowlab_trace", "__Host-flowlab_trace")
PROVIDER_SESSION_COOKIE = "cognito"  # the local provider's sign-in session
SCOPE = "openid email profile"
RUN_SECONDS = 25  # one request to the lab runs (or goes on with) one attack for at most this long, cleanup aside


class RunError(Exception):
    """The run could not go on (a sign-in the lab needs did not happen); said in one sentence."""


@dataclass(frozen=True)
class Move:
    """One attacker request: the setup before it, how it is prepared, how its answer reads, and what an
    accepted one won (a sentence read from the answer, for an attack that succeeded)."""

    setup: Callable[[Lab], None] | None
    prepare: Callable[[Lab], Prepared | None]
    read: Callable[[Lab, Reply], Refusal | None]
    won: Callable[[Lab, Reply], str]


@dataclass(frozen=True)
class Pause:
    """Presenter mode: the run stopped before this attacker request (move `index` of `total`)."""

    prepared: Prepared
    index: int
    total: int


class Lab:
    """One run of one attack: the two scripted browsers, what the run holds, and what it recorded."""

    def __init__(self, target: Target, number: int, state: dict | None = None):
        state = state or {}
        self.target = target
        self.number = number
        self.move = int(state.get("move", 0))
        self.setup_done = bool(state.get("setup_done", False))
        self.values: dict[str, str] = dict(state.get("values") or {})
        self.held: list[list[str]] = [list(h) for h in state.get("held") or []]  # [client kind, refresh token]
        self.notes: list[str] = list(state.get("notes") or [])
        self.entries = [Entry.from_dict(e) for e in state.get("entries") or []]
        jars = state.get("jars") or {}
        deadline = time.monotonic() + RUN_SECONDS
        self.browsers = {name: Browser(name, target, jars.get(name), deadline) for name in ("victim", "attacker")}

    def state(self) -> dict:
        """Everything needed to go on after a pause (server-side only: it holds codes, tokens and cookies)."""
        return {
            "number": self.number,
            "move": self.move,
            "setup_done": self.setup_done,
            "values": dict(self.values),
            "held": [list(h) for h in self.held],
            "notes": list(self.notes),
            "entries": [e.to_dict() for e in self.entries],
            "jars": {name: b.saved() for name, b in self.browsers.items()},
        }

    # -- what the users do (setup: recorded as a label and a status) --------------------------------------
    def party(self, who: str) -> Party:
        party = self.target.victim if who == "victim" else self.target.attacker
        if party is None:
            raise RunError("This attack needs the local provider's demo users.")
        return party

    def setup(self, who: str, to: str, label: str, reply: Reply) -> Reply:
        self.entries.append(Entry("setup", who, to, label, _status(reply)))
        return reply

    def visit(self, who: str, label: str, url: str, to: str = "app") -> Reply:
        return self.setup(who, to, label, self.browsers[who].get("setup", url))

    def start_sign_in(self, who: str, path: str = "/login") -> tuple[dict[str, str], str]:
        """GET /login (or /implicit) at this app: the authorize request's parameters and URL."""
        reply = self.visit(who, f"GET {path}: starts a sign-in", self.target.app_url + path)
        location = reply.headers.get("Location", "")
        if reply.status != 302 or not location:
            raise RunError(f"This app answered GET {path} with HTTP {reply.status}, not a redirect to the provider.")
        return dict(parse_qsl(urlsplit(location).query)), location

    def sign_in(self, who: str, authorize_url: str, back_to: str) -> str:
        """Sign in as `who`'s user at the provider's form; the redirect back (its Location), which must go to
        `back_to`."""
        party = self.party(who)
        reply = self.browsers[who].sign_in(authorize_url, party)
        self.setup(who, "provider", f"signs in as {party.username} (authorize, sign-in form)", reply)
        location = reply.headers.get("Location", "")
        if reply.status != 302 or not location.startswith(back_to):
            raise RunError(
                f"The provider did not sign {party.username} in (HTTP {reply.status}); check the user in the "
                "local provider's pool file (a wrong password five times locks a user out for a while)."
            )
        return location

    def redeem(self, who: str, label: str, form: dict[str, str], client: str = "public") -> dict:
        """A token request the user's own app makes (the browser-only app, the machine client): setup."""
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        if client == "machine":
            headers["Authorization"] = basic_auth(self.target.m2m_client_id, self.target.m2m_client_secret)
        else:
            form = {**form, "client_id": self.target.public_client_id}
        reply = self.browsers[who].send("setup", "POST", self.target.token_endpoint, headers, urlencode(form))
        self.setup(who, "provider", label, reply)
        if reply.status != 200:
            raise RunError(f"The provider refused {label} (HTTP {reply.status}): {reply.body[:200]!r}.")
        tokens = reply.json()
        if isinstance(tokens.get("refresh_token"), str):
            self.held.append([client, tokens["refresh_token"]])
        return tokens

    def public_code(self, who: str, nonce: str = "") -> tuple[str, str]:
        """`who` signs in through the browser-only app (the public client, PKCE) as that app does; the code on
        its redirect back, and the app's code_verifier."""
        verifier = random_value()
        url = authorize_url(
            self.target,
            self.target.public_client_id,
            self.target.spa_callback,
            state=random_value(),
            nonce=nonce or random_value(),
            **pkce_params(verifier),
        )
        back = self.sign_in(who, url, self.target.spa_callback)
        return query_of(back).get("code", ""), verifier

    def public_tokens(self, who: str, nonce: str = "") -> dict:
        """`who`'s browser-only app signs in and redeems its code (with its verifier, no secret)."""
        code, verifier = self.public_code(who, nonce)
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.target.spa_callback,
            "code_verifier": verifier,
        }
        return self.redeem(who, "POST /oauth2/token: the browser-only app redeems its code", form)

    def page_csrf(self, who: str) -> str:
        """Open this app's implicit callback page, as the browser does after the redirect, and read the
        anti-forgery token its script sends."""
        reply = self.visit(
            who, "GET /implicit/callback (the page that posts the tokens)", self.target.implicit_callback
        )
        text = reply.body.decode("utf-8", "replace")
        marker = 'data-csrf="'
        start = text.find(marker)
        if start < 0:
            raise RunError("This app's implicit callback page carries no anti-forgery token.")
        return text[start + len(marker) : text.index('"', start + len(marker))]

    def derive(self, label: str, status: str) -> None:
        """A call this app made to the provider, as this app's answer reported it."""
        self.entries.append(Entry("derived", "app", "provider", label, status))

    # -- the attacker's requests ----------------------------------------------------------------------------
    def send(self, prepared: Prepared, move: Move) -> None:
        reply = self.browsers[prepared.via].send(
            "attack", prepared.method, prepared.url, dict(prepared.headers), prepared.body
        )
        step, shorts = attack_step(self.target, [h[1] for h in self.held], prepared, reply)
        entry = Entry("attack", prepared.via, prepared.target, prepared.title, _status(reply), step, shorts)
        self.entries.append(entry)
        entry.refusal = move.read(self, reply)
        if entry.refusal is None:
            entry.accepted = move.won(self, reply)

    def verdict(self) -> Verdict:
        sent = [e for e in self.entries if e.kind == "attack"]
        if not sent:
            return Verdict("not_run", detail=" ".join(self.notes))
        won = next((e for e in sent if e.refusal is None), None)
        if won is not None:
            return Verdict("succeeded", detail=won.accepted)
        return Verdict("refused", refusal=sent[0].refusal)

    # -- afterwards: sign both browsers out, revoke what the run holds -------------------------------------
    def clean_up(self) -> list[str]:
        """Revoke the refresh tokens the run holds, sign each scripted browser out of this app and of the
        provider; returns the ids of the traces this app kept for them (the view deletes those)."""
        count = 0
        for client, token in self.held:
            count += self._revoke(client, token)
        traces = []
        for browser in self.browsers.values():
            browser.deadline = None  # cleanup runs even after a run that ran out of time
            count += self._sign_out(browser)
            traces += [v for name in TRACE_COOKIES if (v := browser.cookie(name))]
        self.held = []
        if count:
            self.notes.append(
                f"Cleanup: {count} request{'s' if count > 1 else ''} signed the scripted browsers out "
                "and revoked the refresh tokens this run held."
            )
        return traces

    def _revoke(self, client: str, token: str) -> int:
        if not self.target.revocation_endpoint:
            return 0
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        form = {"token": token}
        if client == "public":
            form["client_id"] = self.target.public_client_id
        else:
            headers["Authorization"] = basic_auth(self.target.client_id, self.target.client_secret)
        Http(self.target.timeout).request(
            "revoke", "POST", self.target.revocation_endpoint, headers=headers, data=urlencode(form)
        )
        return 1

    def _sign_out(self, browser: Browser) -> int:
        count = 0
        logout = ""
        if any(browser.cookie(name) for name in APP_SESSION_COOKIES):
            token = browser.csrf_token()
            reply = browser.post_form("sign_out", self.target.app_url + "/logout", {"csrf_token": token})
            logout = reply.headers.get("Location", "")
            count += 2
        if browser.cookie(PROVIDER_SESSION_COOKIE) and self.target.end_session_endpoint:
            if not logout.startswith(self.target.end_session_endpoint):
                query = {"client_id": self.target.client_id, "logout_uri": self.target.app_url + "/signed-out"}
                logout = self.target.end_session_endpoint + "?" + urlencode(query)
            browser.get("sign_out", logout)
            count += 1
        return count


def _status(reply: Reply) -> str:
    location = reply.headers.get("Location", "")
    if reply.status in (301, 302, 303, 307) and location:
        parts = urlsplit(location)
        return f"{reply.status} → {parts.path or '/'}"
    error = reply.headers.get("X-OAuth-Error", "")
    return f"{reply.status}{' ' + error if error else ''}"


def advance(lab: Lab, moves: list[Move], presenting: bool, approved: Prepared | None = None) -> Pause | None:
    """Go on from where the run is. In presenter mode stop before each attacker request unless it is
    `approved` (prepared again after the pause and found equal to what the screen showed)."""
    while lab.move < len(moves):
        move = moves[lab.move]
        if not lab.setup_done:
            if move.setup is not None:
                move.setup(lab)
            lab.setup_done = True
        prepared = move.prepare(lab)
        if prepared is not None:
            if presenting and prepared != approved:
                return Pause(prepared, lab.move, len(moves))
            lab.send(prepared, move)
        approved = None
        lab.move += 1
        lab.setup_done = False
    return None


# -- small pieces the attacks share ----------------------------------------------------------------------------
def random_value() -> str:
    return secrets.token_urlsafe(32)


def authorize_url(target: Target, client_id: str, redirect_uri: str, **params: str) -> str:
    """An authorize request of the code flow (scope openid email profile unless `params` says otherwise)."""
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "scope": SCOPE, **params}
    return target.authorization_endpoint + "?" + urlencode(query)


def pkce_params(verifier: str) -> dict[str, str]:
    return {"code_challenge": pkce_challenge(verifier), "code_challenge_method": "S256"}


def query_of(url: str, fragment: bool = False) -> dict[str, str]:
    parts = urlsplit(url)
    return dict(parse_qsl(parts.fragment if fragment else parts.query))


def username_in(claims: object) -> str:
    """Whom a token's (or a session's) claims name."""
    if not isinstance(claims, dict):
        return "someone"
    return str(claims.get("cognito:username") or claims.get("username") or claims.get("sub") or "someone")


def provider_refused_via_app(lab: Lab, refusal: Refusal | None, label: str) -> Refusal | None:
    """When this app's answer says the provider refused its call, draw that call."""
    if refusal is not None and refusal.source == PROVIDER:
        lab.derive(label, f"{refusal.status} {refusal.error}".strip())
    return refusal
