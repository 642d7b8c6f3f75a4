"""Which moves each attack makes, and whether it can run against this target (and if not, why)."""

from __future__ import annotations

from collections.abc import Callable

from . import browserflow, codeflow, tokens
from .catalogue import ATTACKS
from .model import Target
from .runner import Move

LOCAL_MOVES: dict[int, Callable[[], list[Move]]] = {
    1: codeflow.stolen_code,
    2: codeflow.login_csrf,
    3: codeflow.code_injection,
    4: browserflow.id_token_replay,
    5: browserflow.token_substitution,
    6: lambda: browserflow.other_clients(local=True),
    7: codeflow.mix_up,
    8: tokens.forged_tokens,
    9: tokens.refresh_replay,
    10: codeflow.open_redirect,
}
REAL_MOVES: dict[int, Callable[[], list[Move]]] = {
    1: codeflow.stolen_own_code,  # after the user's own sign-in brought a code back (the view's part)
    6: lambda: browserflow.other_clients(local=False),
    7: codeflow.mix_up,
    8: tokens.forged_tokens,
}
THROUGH_YOUR_BROWSER = frozenset({1})  # with a real provider: the user's own browser fetches the code


def moves(number: int, target: Target) -> list[Move]:
    return (LOCAL_MOVES if target.local else REAL_MOVES)[number]()


def unavailable(number: int, target: Target, signed_in: bool) -> str:
    """Why attack `number` cannot run against `target` ("" when it can)."""
    if target.local:
        return _local(number, target)
    if number not in REAL_MOVES:
        return ATTACKS[number].needs_local
    if not signed_in:
        return "Sign in first: with your provider the lab runs only for a signed-in user, on that user's own session."
    if number == 1 and not target.public_client_id:
        return "It needs a browser-only (public) app client: set OAUTH_PUBLIC_CLIENT_ID."
    if number == 6 and not (target.m2m_client_id and target.m2m_client_secret):
        return "It needs the machine client: set M2M_CLIENT_ID and M2M_CLIENT_SECRET."
    return ""


def _local(number: int, target: Target) -> str:
    if target.victim is None or target.attacker is None:
        return "The local provider's pool file needs two users with passwords (the victim and the attacker)."
    if number in (1, 6, 9) and not target.public_client_id:
        return "It needs the browser-only (public) app client of the local provider's pool file."
    if number == 6 and not target.m2m_client_id:
        return "It needs the machine client of the local provider's pool file."
    if number == 9:
        return tokens.rotation_off(target)
    return ""
