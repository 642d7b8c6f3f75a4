"""The browser flows' server side: tokens that reached a page (the implicit fragment, or the browser-only
page's own token request) are checked against the sign-in this browser began, and dropped.

Each verify takes the sign-in's transaction by its `state` (single use), verifies the ID token with the
flow's preset (the transaction's nonce; the access token for at_hash) and a JWT access token too, and
records the run for /compare (names only, never a token). Nothing of the tokens is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from lab.claims import check_rows, first_failure, verified_answer
from lab.compare import implicit_run_record, spa_run_record
from oauth import transactions
from oauth.client import is_jwt
from oauth.presets import Preset
from oauth.tokens import Verification

from .context import Context
from .keys import IMPLICIT_RUN, SPA_RUN, TX


@dataclass(frozen=True)
class Verified:
    """Every check passed; `answer` is what the page gets (claims and check rows of both tokens)."""

    answer: dict[str, Any]


@dataclass(frozen=True)
class NotVerified:
    """The tokens are refused: `error` says why; `check` and `checks` when a check failed."""

    error: str
    check: str | None = None
    checks: list[dict] | None = None


UNKNOWN_STATE = {
    "implicit": "state does not match an implicit sign-in started in this browser, or was used already",
    "spa": "state does not match a browser-only sign-in started in this browser, or was used already",
}


def _verify(preset: Preset, nonce: str, values: dict[str, Any]) -> list[Verification]:
    """The ID token (the sign-in's nonce, at_hash against the access token), then a JWT access token (Cognito)."""
    results = [preset.verify_id(values["id_token"], nonce=nonce, access_token=values["access_token"])]
    if is_jwt(values["access_token"]):
        results.append(preset.verify_access(values["access_token"]))
    return results


def verify_browser_tokens(
    ctx: Context, flow: Literal["implicit", "spa"], values: dict[str, Any]
) -> Verified | NotVerified:
    """Verify the tokens a browser flow's page posted (`values`: id_token, access_token, state; and for the
    browser-only flow `received`, the names of the tokens the page got), against this browser's sign-in."""
    session = ctx.session
    tx = transactions.take(session, values["state"], flow, key=TX)
    if tx is None:  # a replay, or tokens from elsewhere
        if flow == "implicit" and session:  # recorded for /compare; a stranger with no session gets nothing stored
            IMPLICIT_RUN.set(implicit_run_record(None, None, False, "state did not match"), session)
        return NotVerified(UNKNOWN_STATE[flow])
    presets = ctx.client.presets
    # implicit: at_hash required (the tokens came through the browser); browser-only: the public client's tokens
    results = _verify(presets.implicit if flow == "implicit" else presets.browser_only, tx.nonce, values)
    failed = first_failure(results)
    error = failed[1] if failed else ""
    if flow == "implicit":
        IMPLICIT_RUN.set(implicit_run_record(values["id_token"], values["access_token"], not failed, error), session)
    else:
        SPA_RUN.set(spa_run_record(values["received"], not failed, error), session)
    if failed is not None:
        failure, message = failed
        return NotVerified(message, check=failure.name, checks=check_rows(results[0]))
    if flow == "spa":
        ctx.trace.start_new()  # a new trace for this sign-in, as at a code-flow sign-in
    return Verified(verified_answer(results))
