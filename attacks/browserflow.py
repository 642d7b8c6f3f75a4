"""Attacks on tokens that reach this app through the browser (POST /api/implicit/verify): a replayed ID
token (4), a substituted access token (5), and tokens minted for other app clients (6)."""

from __future__ import annotations

import json
from collections.abc import Callable

from oauth.http import ProviderError, Reply

from . import refusals
from .model import Prepared
from .runner import Lab, Move, query_of, username_in

JSON = "application/json"


def _implicit_sign_in(lab: Lab, who: str, prefix: str) -> None:
    """`who` signs in with this app's implicit flow; the fragment's tokens and the sign-in's state are kept
    under `prefix` (what the browser's address bar held)."""
    params, url = lab.start_sign_in(who, "/implicit")
    back = lab.sign_in(who, url, lab.target.implicit_callback)
    fragment = query_of(back, fragment=True)
    lab.values.update(
        {
            f"{prefix}_id": fragment.get("id_token", ""),
            f"{prefix}_access": fragment.get("access_token", ""),
            f"{prefix}_state": params.get("state", ""),
        }
    )


def _verify(title: str, via: str, id_key: str, access_key: str, state_key: str) -> Callable[[Lab], Prepared]:
    def prepare(lab: Lab) -> Prepared:
        body = {"id_token": lab.values[id_key], "access_token": lab.values[access_key], "state": lab.values[state_key]}
        headers = (("Content-Type", JSON), ("X-CSRF-Token", lab.values[f"{via}_csrf"]))
        return Prepared(
            title, via, "app", "POST", lab.target.app_url + "/api/implicit/verify", headers, json.dumps(body)
        )

    return prepare


def _accepted(lab: Lab, reply: Reply) -> str:
    try:
        name = username_in(reply.json().get("claims"))
    except ProviderError:
        name = "someone"
    return f"This app answered HTTP {reply.status}: the tokens verified, for {name}."


def _move(setup: Callable[[Lab], None], prepare: Callable[[Lab], Prepared]) -> Move:
    return Move(setup, prepare, lambda lab, reply: refusals.app_json(reply), _accepted)


# -- 4: an earlier sign-in's ID token, replayed -------------------------------------------------------------
def _replay_setup(lab: Lab) -> None:
    _implicit_sign_in(lab, "victim", "victim")  # the earlier sign-in whose fragment leaked
    params, _ = lab.start_sign_in("attacker", "/implicit")  # the attacker's own sign-in at this app
    lab.values["attacker_state"] = params.get("state", "")
    lab.values["attacker_csrf"] = lab.page_csrf("attacker")


def id_token_replay() -> list[Move]:
    return [
        _move(
            _replay_setup,
            _verify(
                "Post the victim's captured tokens with the attacker's own state",
                "attacker",
                "victim_id",
                "victim_access",
                "attacker_state",
            ),
        )
    ]


# -- 5: the attacker's access token beside the victim's ID token --------------------------------------------
def _substitution_setup(lab: Lab) -> None:
    _implicit_sign_in(lab, "victim", "victim")
    _implicit_sign_in(lab, "attacker", "attacker")
    lab.values["victim_csrf"] = lab.page_csrf("victim")


def token_substitution() -> list[Move]:
    return [
        _move(
            _substitution_setup,
            _verify(
                "The victim's page posts its ID token beside the attacker's access token",
                "victim",
                "victim_id",
                "attacker_access",
                "victim_state",
            ),
        )
    ]


# -- 6: tokens minted for another app client -----------------------------------------------------------------
def _public_client_setup(lab: Lab) -> None:
    """The attacker begins an implicit sign-in here (for its state and nonce), then signs in through the
    browser-only app (another app client) with that nonce, so only the audience differs."""
    params, _ = lab.start_sign_in("attacker", "/implicit")
    tokens = lab.public_tokens("attacker", nonce=params.get("nonce", ""))
    lab.values.update(
        public_id=str(tokens.get("id_token", "")),
        public_access=str(tokens.get("access_token", "")),
        public_state=params.get("state", ""),
        attacker_csrf=lab.page_csrf("attacker"),
    )


def _machine_setup(lab: Lab) -> None:
    """A client-credentials token of the machine client (its secret leaked), and a sign-in begun here."""
    params, _ = lab.start_sign_in("attacker", "/implicit")
    tokens = lab.redeem(
        "attacker",
        "POST /oauth2/token: client credentials, as the machine client",
        {"grant_type": "client_credentials"},
        client="machine",
    )
    lab.values.update(
        machine=str(tokens.get("access_token", "")),
        machine_state=params.get("state", ""),
    )
    if "attacker_csrf" not in lab.values:
        lab.values["attacker_csrf"] = lab.page_csrf("attacker")


def _public_client_move() -> Move:
    return _move(
        _public_client_setup,
        _verify(
            "Post the browser-only app's tokens as a sign-in to this app",
            "attacker",
            "public_id",
            "public_access",
            "public_state",
        ),
    )


def _machine_move() -> Move:
    return _move(
        _machine_setup,
        _verify("Post the machine client's token as an ID token", "attacker", "machine", "machine", "machine_state"),
    )


def other_clients(local: bool) -> list[Move]:
    """Both tokens with the local provider; with a real one the machine client's only (no second user)."""
    return [_public_client_move(), _machine_move()] if local else [_machine_move()]
