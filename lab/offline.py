"""Inspect a token offline: against a saved key set (oauth/keyset.py) at a chosen moment, with the issuer and
app client the caller names, every check that can be made, and what could not be checked, and why.

The CLI (`flask --app app inspect --jwks FILE_OR_URL [--at TIME] [--issuer ISS] [--client-id ID] TOKEN|-`) and
the /inspect page's key-set field share this. No provider is asked anything; nothing is stored or logged.
"""

from __future__ import annotations

import re
import time

from oauth.config import ClientConfig
from oauth.discovery import JwksCache
from oauth.keyset import KeySetError, SavedKeys, parse_keyset
from oauth.presets import Presets
from oauth.times import parse_moment
from oauth.tokens import CheckName, Verification

from .claims import WHY, explain_token_claims, is_machine_token
from .customization import customization_marks, mark_rows
from .inspector import SKIPPED, InspectError, Inspection, _clock, clean, issuer_name, read_paste

COGNITO_ISSUER = re.compile(
    r"^https://(?:issuer-)?cognito-idp\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<pool>[\w-]+)$"
)
MAX_OPTION = 2048  # an issuer URL or a client id longer than this is no issuer or client id

REVOCATION = (
    "not checked: offline, only the provider can tell whether this token's sign-in was revoked (Cognito refuses "
    "a revoked token's refresh and userInfo; its signature still verifies until exp)"
)


def _option(value: str | None, name: str) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value) > MAX_OPTION or not value.isprintable():
        raise InspectError(400, f"{name} is not a usable value (printable text, at most {MAX_OPTION} characters).")
    return value.strip()


def _verify(
    token: str, kind: str, keys: JwksCache, issuer: str, clients: frozenset[str], cognito: bool, at: float
) -> Verification:
    """Every check under the `pasted` preset (oauth/presets.py: no login behind the token, so no nonce and
    at_hash only when present, any age; token_use required of a Cognito issuer's tokens), configured for the
    issuer and app clients of this one inspection, with the saved keys."""
    config = ClientConfig(
        issuer=issuer, client_id="", client_secret="", is_cognito=cognito, api_allowed_client_ids=tuple(sorted(clients))
    )
    pasted = Presets(config, keys).pasted
    return pasted.verify_id(token, now=at) if kind == "id" else pasted.verify_access(token, at)


def _checks(result: Verification, kind: str, issuer_given: bool, client_given: bool) -> tuple[list[dict], list[str]]:
    """The check rows, with the ones that could not be made marked `unchecked`, and what to give to make them."""
    rows, could_not = [], []
    client_check = CheckName.AUD if kind == "id" else CheckName.CLIENT_ID
    for c in result.checks:
        if c.name is CheckName.AT_HASH:
            continue
        row = {"name": c.name, "status": "pass" if c.passed else "fail", "detail": c.detail, "why": WHY.get(c.name, "")}
        if c.name is CheckName.ISS and not issuer_given:
            got = result.claims.get("iss")
            row.update(status="unchecked", detail=f"not checked: no issuer given (the token names {got!r})")
            could_not.append("iss (give the issuer you trust: --issuer)")
        elif c.name is client_check and not client_given:
            row.update(status="unchecked", detail="not checked: no app client given (the token names it above)")
            could_not.append(f"{c.name} (give the app client you expect: --client-id)")
        rows.append(row)
    if kind == "id":
        rows += [{"name": n, "status": "skipped", "detail": d, "why": WHY[n]} for n, d in SKIPPED.items()]
        could_not.append("nonce and at_hash (they need the login the token came from)")
    rows.append({"name": "revocation", "status": "unchecked", "detail": REVOCATION, "why": ""})
    could_not.append("revocation (only the provider knows)")
    return rows, could_not


def _named_clients(claims: dict, kind: str) -> list[str]:
    """The app client(s) the token names: aud for an ID token, client_id for an access token."""
    named = claims.get("aud") if kind == "id" else claims.get("client_id")
    if isinstance(named, str):
        return [named]
    return [a for a in named if isinstance(a, str)] if isinstance(named, list) else []


def _summary(claims: dict, kind: str, source: str, at: float, chosen: bool, failed: list[str]) -> str:
    moment = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(at)) + (" (the moment chosen)" if chosen else " (now)")
    iss = claims.get("iss")
    pool = COGNITO_ISSUER.match(iss) if isinstance(iss, str) else None
    whose = f"the Amazon Cognito user pool {pool['pool']} in {pool['region']}" if pool else issuer_name(iss)
    said = f"Issued by {whose}. Verified against {source}, at {moment}"
    said += f": the checks marked below fail ({', '.join(failed)})." if failed else ": every check made passes."
    if kind == "access" and is_machine_token(claims):
        said += " It carries no user: a machine-to-machine token from the client credentials grant."
    return said


def inspect_offline(
    raw: object,
    keys: JwksCache,
    *,
    source: str,
    at: float | None = None,
    issuer: str | None = None,
    client_id: str | None = None,
) -> Inspection:
    """Inspect one token against `keys` (described by `source`) at `at` (now when None). The iss check is made
    only with an `issuer`, the aud / client_id check only with a `client_id`; the rest always (the signature
    with the key set's key of the token's kid). Raises InspectError for a paste that is no token."""
    chosen = at is not None
    at = time.time() if at is None else at
    issuer, client_id = _option(issuer, "The issuer"), _option(client_id, "The client id")
    read = read_paste(clean(raw), {})
    if isinstance(read, Inspection):  # a refresh token or no JWT: nothing to verify
        return read
    parts, header, claims, kind = read
    token = ".".join(parts)
    own = _named_clients(claims, kind)
    iss = claims.get("iss")
    trusted = issuer or (iss if isinstance(iss, str) else "")
    cognito = isinstance(iss, str) and bool(COGNITO_ISSUER.match(iss))
    result = _verify(token, kind, keys, trusted, frozenset([client_id] if client_id else own), cognito, at)
    checks, could_not = _checks(result, kind, issuer is not None, client_id is not None)
    failed = [c["name"] for c in checks if c["status"] == "fail"]
    rows = explain_token_claims(claims, at)
    if cognito:  # what the token alone shows of a pre token generation trigger
        mark_rows(rows, customization_marks(claims, kind, None))
    what = "ID" if kind == "id" else "access"
    return Inspection(
        kind=kind,
        title=f"{'A Cognito' if cognito else 'An'} {what} token, verified offline",
        summary=_summary(claims, kind, source, at, chosen, failed),
        segments=list(zip(("header", "payload", "signature"), parts, strict=True)),
        header=header,
        claims=rows,
        checks=checks,
        client=f"the token names {', '.join(repr(c) for c in own) or 'no app client'}"
        + (f"; expected {client_id!r}" if client_id else ""),
        clock=_clock(claims, at, chosen),
        verdict="invalid" if failed else "valid",
        not_checked=could_not,
        keys=source,
    )


def read_moment(text: str | None, name: str = "The time") -> float | None:
    """A moment from ISO 8601 or epoch seconds (None when not given); InspectError 400 with the reason."""
    if text is None or not text.strip():
        return None
    try:
        return parse_moment(text)
    except ValueError as exc:
        raise InspectError(400, f"{name}: {exc}.") from None


def inspect_with_keyset(
    raw: object,
    keyset: str | dict,
    *,
    source: str,
    at: str | None = None,
    issuer: str | None = None,
    client_id: str | None = None,
) -> Inspection:
    """`inspect_offline` with the key set as text (a file, a paste) or an already parsed document (a URL), and
    the moment as text; every input problem is an InspectError (413 for an oversized key set) with one line."""
    moment = read_moment(at)
    try:
        document = parse_keyset(keyset, source) if isinstance(keyset, str) else keyset
    except KeySetError as exc:
        raise InspectError(exc.status, exc.message[:1].upper() + exc.message[1:]) from None
    keys = SavedKeys(document)
    described = f"{source} ({keys.count} key{'' if keys.count == 1 else 's'})"
    return inspect_offline(raw, keys, source=described, at=moment, issuer=issuer, client_id=client_id)
