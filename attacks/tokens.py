"""Attacks with tokens the attacker holds: forgeries at this app's API (8) and a stolen refresh token
replayed after rotation (9)."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from oauth.http import ProviderError, Reply
from oauth.times import format_time
from oauth.tokens import LEEWAY

from . import forge, locker, refusals
from .model import Prepared, Target
from .runner import Lab, Move, RunError, authorize_url, query_of, random_value, username_in

FORM = "application/x-www-form-urlencoded"
MAX_GRACE_WAIT = 10  # seconds a run waits for a rotated-out refresh token's grace period to end


# -- 8: forged tokens at this app's API -----------------------------------------------------------------------
def _attacker_token(lab: Lab) -> str:
    """The attacker's own access token: with the local provider he signs in (implicit, at the provider, for
    this app's client); with a real one it is the signed-in user's own (read, never changed)."""
    if not lab.target.local:
        return lab.target.own_access_token
    url = authorize_url(
        lab.target,
        lab.target.client_id,
        lab.target.implicit_callback,
        state=random_value(),
        nonce=random_value(),
    ).replace("response_type=code", "response_type=token")
    back = lab.sign_in("attacker", url, lab.target.implicit_callback)
    return query_of(back, fragment=True).get("access_token", "")


def _forgeries(lab: Lab) -> None:
    token = _attacker_token(lab)
    if token.count(".") != 2:
        raise RunError("There is no JWT access token to forge (sign in first; an opaque token cannot be forged).")
    claims = forge.claims_of(token)
    impersonated = forge.as_user(claims, lab.target.victim_name)
    lab.values.update(
        flipped=forge.flip_signature_bit(token),
        unsigned=forge.alg_none(impersonated),
        foreign=forge.foreign_key(impersonated),
    )
    _expired(lab, token, claims)


def _expired(lab: Lab, token: str, claims: dict) -> None:
    """An expired token: the user's own when it has expired (a real provider), else the attacker's token kept
    from an earlier run (see locker.py)."""
    exp = claims.get("exp")
    if not lab.target.local:
        if isinstance(exp, int) and time.time() > exp + LEEWAY:
            lab.values["expired"] = token
        else:
            lab.notes.append(
                "Expired token: not sent. Your access token has not expired, and the lab keeps none of "
                "yours; with the local provider it replays the attacker's own earlier token."
            )
        return
    issuer = lab.target.issuer
    if isinstance(exp, int):
        locker.keep(issuer, token, exp)
    old, ready_at = locker.expired(issuer, LEEWAY)
    if old is not None:
        lab.values["expired"] = old
        locker.used(issuer, old)
    elif ready_at is not None:
        lab.notes.append(
            f"Expired token: not sent yet. The lab keeps {lab.target.attacker_name}'s token from this run and replays "
            f"it once it has expired, {format_time(ready_at, time.time())} (its exp plus the API's {LEEWAY} s of "
            "clock skew): run this attack again then."
        )


def _bearer(title: str, key: str) -> Callable[[Lab], Prepared | None]:
    def prepare(lab: Lab) -> Prepared | None:
        token = lab.values.get(key)
        if not token:
            return None
        headers = (("Authorization", f"Bearer {token}"),)
        return Prepared(title, "attacker", "app", "GET", lab.target.app_url + "/api/me", headers)

    return prepare


def _api_answered(lab: Lab, reply: Reply) -> str:
    try:
        who = username_in(reply.json())
    except ProviderError:
        who = "someone"
    return f"The API answered HTTP {reply.status}, as {who}."


FORGERIES = (
    (_forgeries, "A genuine token with one bit of its signature flipped", "flipped"),
    (None, "alg none, no signature, the user name changed", "unsigned"),
    (None, "Signed with the attacker's own key, under a kid the provider never published", "foreign"),
    (None, "An expired token", "expired"),
)


def forged_tokens() -> list[Move]:
    return [
        Move(setup, _bearer(title, key), lambda lab, reply: refusals.api(reply), _api_answered)
        for setup, title, key in FORGERIES
    ]


# -- 9: a stolen refresh token, replayed after rotation ----------------------------------------------------------
def rotation_off(target: Target) -> str:
    """Why attack 9 cannot run here ("" when it can)."""
    if not target.public_client_id:
        return "This app has no browser-only (public) client to run it with."
    if target.public_rotation_grace is None:
        return (
            "Refresh-token rotation is off for the browser-only client, so a stolen refresh token works for its "
            "whole life and there is nothing to demonstrate. Turn it on in the local provider's pool file: add "
            '"RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": 0} to that client '
            "(flow-lab-spa), then restart make run."
        )
    if target.public_rotation_grace > MAX_GRACE_WAIT:
        return (
            f"The browser-only client's grace period is {target.public_rotation_grace} s; a run waits at most "
            f"{MAX_GRACE_WAIT} s. Lower RetryGracePeriodSeconds in the pool file to run it."
        )
    return ""


def _stolen_and_rotated(lab: Lab) -> None:
    first = lab.public_tokens("victim")
    lab.values["stolen"] = str(first.get("refresh_token", ""))  # what the XSS copied
    refreshed = lab.redeem(
        "victim",
        "POST /oauth2/token: the app refreshes (rotation: a new refresh token)",
        {"grant_type": "refresh_token", "refresh_token": lab.values["stolen"]},
    )
    if not refreshed.get("refresh_token"):
        raise RunError("The provider answered the refresh without a new refresh token: rotation is off for it.")
    grace = lab.target.public_rotation_grace or 0
    if grace:
        time.sleep(grace + 0.5)  # the old token's grace period ends (bounded by MAX_GRACE_WAIT)


def _replay(lab: Lab) -> Prepared:
    form = {
        "grant_type": "refresh_token",
        "client_id": lab.target.public_client_id,
        "refresh_token": lab.values["stolen"],
    }
    return Prepared(
        "Replay the stolen refresh token after the grace period",
        "attacker",
        "provider",
        "POST",
        lab.target.token_endpoint,
        (("Content-Type", FORM),),
        urlencode(form),
    )


def _replay_won(lab: Lab, reply: Reply) -> str:
    tokens = reply.json()
    if isinstance(tokens.get("refresh_token"), str):
        lab.held.append(["public", tokens["refresh_token"]])
    return f"The token endpoint answered HTTP 200 with new tokens for {lab.target.victim_name}."


def refresh_replay() -> list[Move]:
    return [
        Move(_stolen_and_rotated, _replay, lambda lab, reply: refusals.token_endpoint(reply, "rotation"), _replay_won)
    ]
