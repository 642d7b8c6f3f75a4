"""What each flow did in this browser session, side by side, for the compare page."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    topic: str
    code: str
    implicit: str
    spa: str = ""


def code_run_record(tokens: dict, client_auth: str, had_secret: bool, scopes: list[str]) -> dict:
    """A msgpack-safe record of a completed code-flow login."""
    return {
        "at": int(time.time()),
        "tokens": sorted(k for k in ("id_token", "access_token", "refresh_token") if tokens.get(k)),
        "client_auth": client_auth if had_secret else "none (public client)",
        "pkce": True,
        "scopes": scopes,
    }


def implicit_run_record(id_token: str | None, access_token: str | None, verified: bool, error: str = "") -> dict:
    return {
        "at": int(time.time()),
        "tokens": sorted(k for k, v in (("id_token", id_token), ("access_token", access_token)) if v),
        "verified": verified,
        "error": error,
    }


def _tokens(run: dict | None, pending: str) -> str:
    if not run:
        return pending
    names = ", ".join(run["tokens"]) or "none"
    return names + ("" if "refresh_token" in run["tokens"] else " (no refresh token)")


def _leaked_refresh_token(code: dict | None, rotation: str, not_run: str) -> str:
    """The code flow's cell of the row on a copied refresh token (lab/rotation.py says what rotation does)."""
    if not code:
        return not_run
    if "refresh_token" not in code["tokens"]:
        return "no refresh token came back, so there is none to copy"
    return (
        "it never leaves the server-side session: a copy needs the server itself (a log, a backup); refresh-token "
        f"rotation is {rotation}. With rotation a copy is refused after the next refresh and its grace (the "
        "dashboard's Replay shows it)."
    )


def compare_rows(
    code: dict | None,
    implicit: dict | None,
    spa: dict | None = None,
    rotation: str = "not known to the app",
    spa_rotation: str = "",
) -> list[Row]:
    """Rows built only from what happened; a flow not run yet says so. `rotation`: the app client's refresh-token
    rotation in words (lab/rotation.py: client_rotation)."""
    not_run = "not run yet in this session"
    spa_cells = _spa_cells(spa, not_run, spa_rotation)
    rows = [
        Row("Tokens returned", _tokens(code, not_run), _tokens(implicit, not_run)),
        Row(
            "How the tokens travelled",
            "back channel: server-to-server POST to the token endpoint; the browser only carried a "
            "one-time code in the query"
            if code
            else not_run,
            "front channel: in the URL fragment of a browser redirect (#id_token=…&access_token=…)"
            if implicit
            else not_run,
        ),
        Row(
            "Where the tokens live now",
            "the server-side session; the browser holds only a session-id cookie" if code else not_run,
            "page memory of the implicit page only; gone when the tab closes" if implicit else not_run,
        ),
        Row(
            "Client secret used",
            f"yes, {code['client_auth']}"
            if code and "none" not in code["client_auth"]
            else ("no (public client)" if code else not_run),
            "no: the browser cannot keep a secret, and no token request is made" if implicit else not_run,
        ),
        Row(
            "PKCE",
            "yes, S256: the code is useless without the verifier the server kept" if code else not_run,
            "no: there is no code to protect, so PKCE does not apply" if implicit else not_run,
        ),
        Row(
            "Server-side verification",
            "ID token verified before anything was stored" if code else not_run,
            (
                "ID token verified by the server after the page posted it: "
                + ("passed" if implicit["verified"] else f"failed: {implicit['error']}")
            )
            if implicit
            else not_run,
        ),
        Row(
            "What could leak, and how",
            "the code, in the callback URL, history and logs, but it is single use, short-lived, "
            "bound to the client secret and the PKCE verifier"
            if code
            else not_run,
            "the access and ID tokens themselves: browser history (the fragment is stripped only after "
            "the page loads), any script on the page, extensions, and screen sharing"
            if implicit
            else not_run,
        ),
        Row(
            "If the refresh token is copied",
            _leaked_refresh_token(code, rotation, not_run),
            "there is no refresh token: the implicit flow never returns one" if implicit else not_run,
        ),
    ]
    return [Row(r.topic, r.code, r.implicit, spa_cells[i]) for i, r in enumerate(rows)]


def _spa_cells(spa: dict | None, not_run: str, rotation: str = "") -> list[str]:
    """The browser-only column, row by row (same order as compare_rows)."""
    if not spa:
        return [not_run] * 8
    return [
        _tokens(spa, not_run),
        "from the browser: a cross-origin POST to the token endpoint (allowed by the provider's CORS) with the "
        "one-time code and the PKCE verifier; the code itself came in the callback's query",
        "page memory of /spa/callback, the refresh token included (a refresh token in JavaScript); gone when the "
        "tab closes",
        "none: a public client, so nothing proves which app is calling; the redirect URI and PKCE bind the code",
        "yes, S256 made with WebCrypto; the verifier stayed in this tab's sessionStorage until the callback",
        "ID token verified by the server after the page got it: " + ("passed" if spa["verified"] else spa["error"]),
        "the code, in the callback URL, but it is useless without the verifier; the tokens, and the refresh token "
        "for as long as it lives, to any script on the page (XSS, a compromised dependency, extensions)",
        "a script on the page can read it; RFC 9700 §4.14.2 requires public clients to rotate refresh tokens (or "
        "bind them to a key), so that a copy is refused once the page has refreshed"
        + (f"; rotation is {rotation}" if rotation else "")
        if "refresh_token" in spa["tokens"]
        else "no refresh token came back, so there is none to copy",
    ]


CODE_SEQUENCE = [
    ("browser", "app", "GET /login", "front"),
    ("app", "browser", "302 to /oauth2/authorize?response_type=code&state&nonce&code_challenge", "front"),
    ("browser", "provider", "GET /oauth2/authorize, then sign in", "front"),
    ("provider", "browser", "302 to /callback?code=…&state=…", "front"),
    ("browser", "app", "GET /callback?code=…&state=…", "front"),
    ("app", "provider", "POST /oauth2/token (code, code_verifier, client secret)", "back"),
    ("provider", "app", "200 {id_token, access_token, refresh_token}", "back"),
    ("app", "provider", "GET jwks.json (cached) and verify the ID token", "back"),
    ("app", "browser", "302 to /dashboard; tokens stay in the server session", "front"),
]

IMPLICIT_SEQUENCE = [
    ("browser", "app", "GET /implicit", "front"),
    ("app", "browser", "302 to /oauth2/authorize?response_type=token&state&nonce", "front"),
    ("browser", "provider", "GET /oauth2/authorize, then sign in", "front"),
    ("provider", "browser", "302 to /implicit/callback#id_token=…&access_token=…&state=…", "front"),
    ("browser", "browser", "JS reads the fragment, then history.replaceState removes it", "front"),
    ("browser", "app", "POST /api/implicit/verify {id_token, access_token, state}", "front"),
    ("app", "browser", "200 {valid: true}; tokens stay in page memory", "front"),
]

SPA_SEQUENCE = [
    ("browser", "app", "GET /spa (an ES module; connect-src allows the provider)", "front"),
    ("browser", "browser", "WebCrypto: verifier, S256 challenge, state, nonce into sessionStorage", "front"),
    ("browser", "provider", "GET /oauth2/authorize?response_type=code&code_challenge&state&nonce, sign in", "front"),
    ("provider", "browser", "302 to /spa/callback?code=…&state=…", "front"),
    ("browser", "browser", "JS strips the query, checks state, takes the verifier out of sessionStorage", "front"),
    ("browser", "provider", "fetch POST /oauth2/token (code, code_verifier, client_id; no secret) with CORS", "front"),
    ("provider", "browser", "200 {id_token, access_token, refresh_token}, Access-Control-Allow-Origin: *", "front"),
    ("browser", "app", "POST /api/spa/verify {id_token, access_token, nonce}", "front"),
    ("app", "browser", "200 {valid: true}; tokens stay in page memory", "front"),
]


def spa_run_record(received: list[str], verified: bool, error: str = "") -> dict:
    """A msgpack-safe record of a browser-only sign-in, for the compare page (names, never tokens)."""
    return {"at": int(time.time()), "tokens": list(received), "verified": verified, "error": error}
