"""The token inspector: say what a pasted token is, decode it, and verify it against the configured
provider, check by check, with what GET /api/me would answer for it.

Plain functions, no Flask: the /inspect page and `flask --app app inspect` share them. Nothing here
stores, logs or traces the token.
"""

from __future__ import annotations

import binascii
import json
import math
import re
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from oauth import safejson
from oauth.config import ClientConfig
from oauth.presets import Presets
from oauth.resource import BearerError, check_bearer
from oauth.times import humanize_delta, is_time
from oauth.tokens import LEEWAY, MAX_TOKEN_LENGTH, CheckName, b64url_decode, decode_unverified

from .claims import WHY, explain_token_claims, is_machine_token
from .display import shorten

MAX_PASTE = MAX_TOKEN_LENGTH  # 16 KiB: far above any Cognito token
MAX_OPAQUE_ECHO = 64  # an opaque paste longer than this (a UUID code is 36) is shown shortened
TOKEN_CHARS = re.compile(r"^[A-Za-z0-9\-._~+/=]+$")
COGNITO_ISSUER = re.compile(r"^https://cognito-idp\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<pool>[\w-]+)$")

SKIPPED = {
    "nonce": "skipped on purpose: the nonce belongs to the login that asked for this token, and a pasted token "
    "comes without it. The app checks it at every sign-in.",
    "at_hash": "skipped on purpose: at_hash binds the ID token to the access token issued with it, and only one "
    "token was pasted. The app checks it at every sign-in.",
}


class InspectError(ValueError):
    """The paste is not something to inspect: a 4xx with a plain reason."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Inspection:
    kind: str  # id | access | refresh | foreign | opaque
    title: str
    summary: str
    segments: list[tuple[str, str]] = field(default_factory=list)  # (part name, text) for colour-coding
    header: dict = field(default_factory=dict)
    claims: list[dict] = field(default_factory=list)
    checks: list[dict] = field(default_factory=list)  # name, status (pass|fail|skipped), detail, why
    client: str = ""
    api: dict = field(default_factory=dict)  # status, and body or error + description
    clock: list[str] = field(default_factory=list)
    verdict: str = "not verified"  # valid | invalid | not verified
    not_checked: list[str] = field(default_factory=list)  # checks that could not be made, and why (offline)
    keys: str = ""  # where the keys came from, when not from the configured provider (offline)

    def header_text(self) -> str:
        """The header for display, compactly: one member a line, each value on one line, so the echo is
        about as long as the paste (an indented dump of a nested header was 25 times longer)."""
        return echo_json(self.header)

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "title": self.title,
            "summary": self.summary,
            "header": self.header,
            "claims": self.claims,
            "checks": self.checks,
            "client": self.client,
            "api": self.api,
            "clock": self.clock,
            "verdict": self.verdict,
            "not_checked": self.not_checked,
        }


def clean(raw: object) -> str:
    """The token in a paste: surrounding space, quotes and a `Bearer ` prefix are dropped."""
    if not isinstance(raw, str):
        raise InspectError(400, "Paste a token as text.")
    if len(raw) > MAX_PASTE + 64:
        raise InspectError(413, f"The paste is {len(raw)} characters; tokens are at most {MAX_PASTE}.")
    token = raw.strip().strip("\"'").strip()
    if token[:7].lower() == "bearer ":
        token = token[7:].strip()
    if not token:
        raise InspectError(400, "The paste is empty: paste an ID, access or refresh token.")
    if len(token) > MAX_PASTE:
        raise InspectError(413, f"The token is {len(token)} characters; tokens are at most {MAX_PASTE}.")
    if not TOKEN_CHARS.match(token):
        raise InspectError(
            400,
            "This is not a token: it contains characters no token has (spaces, line breaks, quotes or "
            "punctuation inside). Paste the token alone.",
        )
    return token


def client_label(settings: ClientConfig, client_id: object) -> str:
    """Which app client an id is, in this configuration."""
    if not isinstance(client_id, str) or not client_id:
        return "no app client named in the token"
    names = [
        (settings.client_id, "this app's confidential client (OAUTH_CLIENT_ID, the code flow with a secret)"),
        (settings.public_client_id, "this app's public client (OAUTH_PUBLIC_CLIENT_ID, the browser-only flow)"),
        (settings.m2m_client_id, "this app's machine client (M2M_CLIENT_ID, client credentials)"),
    ]
    for known, label in names:
        if known and client_id == known:
            return f"{label}: {client_id}"
    if client_id in settings.api_allowed_client_ids:
        return f"another app client allowed by API_ALLOWED_CLIENT_IDS: {client_id}"
    return f"an app client this app does not know: {client_id}"


def issuer_name(iss: object) -> str:
    """Whose token: a Cognito pool, a well-known provider, or just the issuer URL."""
    if not isinstance(iss, str) or not iss:
        return "an unnamed issuer (no iss claim)"
    match = COGNITO_ISSUER.match(iss)
    if match:
        return f"another Amazon Cognito user pool, {match['pool']} in {match['region']}"
    host = urlsplit(iss).hostname or ""
    known = {
        "accounts.google.com": "Google",
        "login.microsoftonline.com": "Microsoft Entra ID",
        "sts.windows.net": "Microsoft Entra ID (v1)",
        "token.actions.githubusercontent.com": "GitHub Actions",
    }
    if host in known:
        return f"{known[host]} ({iss})"
    for suffix, name in ((".auth0.com", "Auth0"), (".okta.com", "Okta"), (".oktapreview.com", "Okta")):
        if host.endswith(suffix):
            return f"{name} ({iss})"
    if "/realms/" in iss:
        return f"a Keycloak realm ({iss})"
    return iss[:200]


def _api_answer(token: str, settings: ClientConfig, presets: Presets, now: float) -> dict:
    """What GET /api/me with `Authorization: Bearer <token>` would answer, by the same code and preset."""
    try:
        identity = check_bearer(token, lambda t: presets.api.verify_access(t, now), settings.api_required_scope)
    except BearerError as exc:
        return {"status": exc.status, "error": exc.error, "description": exc.description}
    return {"status": 200, "body": identity}


def echo_json(value: dict) -> str:
    """A JSON object for display: one member a line, values compact (never an indented tree)."""
    if not value:
        return "{}"
    members = (f"  {json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False)}" for k, v in value.items())
    return "{\n" + ",\n".join(members) + "\n}"


def _not_times(claims: dict) -> list[str]:
    """Notes for time claims that are numbers but no NumericDate (NaN, Infinity, 1e400 read as infinity)."""
    return [
        f"{name} is not a valid time ({claims[name]!r}): a NumericDate is a finite number of seconds."
        for name in ("iat", "exp", "auth_time", "nbf")
        if isinstance(claims.get(name), float) and not math.isfinite(claims[name])
    ]


def _clock(claims: dict, now: float, chosen: bool = False) -> list[str]:
    """Notes on a token's times against `now`: this server's clock, or a moment `chosen` to check it at."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(now))
    notes = [f"Checked at the moment chosen: {stamp}." if chosen else f"This server's clock: {stamp}."]
    notes += _not_times(claims)
    iat, exp, auth_time = (
        v if is_time(v) else None for v in (claims.get("iat"), claims.get("exp"), claims.get("auth_time"))
    )
    numbers = (int, float)
    if isinstance(iat, numbers) and not isinstance(iat, bool):
        if iat > now:
            ahead = iat - now
            verdict = "within" if ahead <= LEEWAY else "beyond"
            why = (
                "the moment chosen is before the token was issued"
                if chosen
                else "this machine's clock is behind the issuer's by at least that"
            )
            fix = "" if chosen else " Sync the clock (NTP)."
            notes.append(
                f"Issued {ahead:.0f} s in the future: {why}, {verdict} the {LEEWAY} s leeway the app allows.{fix}"
            )
        else:
            notes.append(f"Issued {humanize_delta(iat - now)}; no sign of clock skew.")
    if isinstance(exp, numbers) and not isinstance(exp, bool):
        if exp >= now:
            notes.append(f"Expires {humanize_delta(exp - now)}.")
        elif now - exp <= LEEWAY:
            notes.append(f"Expired {now - exp:.0f} s ago, still accepted within the {LEEWAY} s clock-skew leeway.")
        else:
            notes.append(f"Expired {humanize_delta(exp - now)}.")
        if isinstance(iat, numbers) and not isinstance(iat, bool):
            notes.append(f"Lifetime: {int(exp - iat)} s ({round((exp - iat) / 60)} min).")
    if isinstance(auth_time, numbers) and not isinstance(auth_time, bool):
        if is_machine_token(claims):
            notes.append(f"The machine client authenticated {humanize_delta(auth_time - now)} (no user signed in).")
        else:
            notes.append(f"The user signed in {humanize_delta(auth_time - now)}; refreshes keep this time.")
    return notes


def _jwe(token: str, parts: list[str], api: dict) -> Inspection | None:
    """An encrypted token (JWE): Cognito's refresh tokens. Only its header is readable."""
    try:
        header = safejson.loads(b64url_decode(parts[0]).decode())  # the one guard: bounded nesting
    except safejson.JsonRefused as exc:
        raise InspectError(
            400, f"It has the parts of an encrypted token (JWE), but its header is refused: {exc}."
        ) from None
    except (ValueError, UnicodeError, binascii.Error):
        return None
    if not isinstance(header, dict) or "enc" not in header:
        return None
    cognito = header.get("cty") == "JWT" and header.get("alg") == "RSA-OAEP" and header.get("enc") == "A256GCM"
    return Inspection(
        kind="refresh",
        title="A Cognito refresh token (encrypted JWE)" if cognito else "An encrypted token (JWE)",
        summary=(
            "It is encrypted with a key only the provider holds: no client can read what is inside, and neither "
            "can this app. Only the token endpoint (grant_type=refresh_token) and the revoke endpoint accept it. "
            "Treat it like a password: it mints new tokens until it expires (30 days by default at Cognito). "
            "It is not shown back here."
        ),
        segments=[("header", parts[0]), ("encrypted", f"… {len(token) - len(parts[0])} more characters, encrypted")],
        header=header,
        checks=[
            {
                "name": "readable",
                "status": "skipped",
                "detail": "skipped on purpose: an encrypted token cannot be verified or decoded by a client",
                "why": "Refresh tokens are for the provider alone; clients only store and send them.",
            }
        ],
        api=api,
        verdict="not verified",
    )


def read_paste(token: str, api: dict) -> Inspection | tuple[list[str], dict, dict, str]:
    """A cleaned paste taken apart: an Inspection already when it is an encrypted token (JWE) or no JWT at all;
    else its parts, header, claims and kind (id | access, by token_use, else by aud / client_id). InspectError
    for three parts that do not decode."""
    parts = token.split(".")
    if len(parts) in (2, 5) and (found := _jwe(token, parts, api)) is not None:
        return found
    if len(parts) != 3:
        return _opaque(token, parts, api)
    try:
        header, claims = decode_unverified(token)
    except ValueError as exc:
        raise InspectError(
            400, f"It has the three parts of a JWT, but it {exc}: a truncated or mangled copy?"
        ) from None
    use = claims.get("token_use")
    kind = use if use in ("id", "access") else ("access" if "client_id" in claims or "aud" not in claims else "id")
    return parts, header, claims, kind


def inspect_token(raw: object, settings: ClientConfig, presets: Presets, now: float | None = None) -> Inspection:
    """Inspect one pasted token, verified by the `pasted` preset (and by the `api` one for what /api/me
    would answer). Raises InspectError for a paste that is no token at all, and ProviderError when the
    JWKS cannot be fetched."""
    now = time.time() if now is None else now
    token = clean(raw)
    api = _api_answer(token, settings, presets, now)
    read = read_paste(token, api)
    if isinstance(read, Inspection):  # a refresh token or no JWT: nothing to verify
        return read
    parts, header, claims, kind = read
    iss = claims.get("iss")
    use = claims.get("token_use")
    # a pasted ID token has no login behind it: no nonce to compare, no access token for at_hash
    pasted = presets.pasted
    result = pasted.verify_id(token, now=now) if kind == "id" else pasted.verify_access(token, now)
    checks = [
        {"name": c.name, "status": "pass" if c.passed else "fail", "detail": c.detail, "why": WHY.get(c.name, "")}
        for c in result.checks
        if c.name is not CheckName.AT_HASH
    ]
    if kind == "id":
        checks += [{"name": n, "status": "skipped", "detail": d, "why": WHY[n]} for n, d in SKIPPED.items()]
    ok = all(c["status"] != "fail" for c in checks)
    ours = iss == settings.issuer
    provider = "Amazon Cognito" if settings.is_cognito else "OIDC"
    if ours:
        title = f"{'A Cognito' if settings.is_cognito else 'An'} {'ID' if kind == 'id' else 'access'} token"
        title += "" if use or not settings.is_cognito else " (no token_use claim: not as Cognito issues them)"
        summary = f"Issued by the configured {provider} provider ({settings.issuer}), and " + (
            "every check passes." if ok else "it fails the checks marked below."
        )
        if kind == "access" and is_machine_token(claims):
            summary += " It carries no user: a machine-to-machine token from the client credentials grant."
    else:
        title = "A token from another issuer"
        summary = (
            f"Issued by {issuer_name(iss)}. This app trusts only {settings.issuer}: it does not fetch another "
            "issuer's keys, so the signature and iss checks fail here by design."
        )
    client = claims.get("aud") if kind == "id" else claims.get("client_id")
    if isinstance(client, list):
        client = claims.get("azp") or (client[0] if client else None)
    return Inspection(
        kind=kind if ours else "foreign",
        title=title,
        summary=summary,
        segments=list(zip(("header", "payload", "signature"), parts, strict=True)),
        header=header,
        claims=explain_token_claims(claims, now),
        checks=checks,
        client=client_label(settings, client) if ours else f"a client of {issuer_name(iss)}: {str(client)[:200]}",
        api=api,
        clock=_clock(claims, now),
        verdict="valid" if ok else "invalid",
    )


def _opaque(token: str, parts: list[str], api: dict) -> Inspection:
    try:
        uuid.UUID(token)
        looks = (
            "It is a UUID, the shape of a Cognito authorization code: single use, valid 5 minutes, and only "
            "the token endpoint accepts it (with the PKCE verifier and, for a confidential client, the secret)."
        )
    except ValueError:
        looks = (
            "An opaque token: only its issuer can say what it means (token introspection or userInfo). "
            "Cognito's ID and access tokens are always JWTs."
        )
    return Inspection(
        kind="opaque",
        title="Not a JWT",
        summary=f"It has {len(parts)} dot-separated part{'s' if len(parts) != 1 else ''}, not the three of a JWT. "
        + looks,
        # a long paste is not echoed whole: it may be a damaged copy of a refresh token (a JWE whose header
        # no longer decodes), and the page never shows a refresh token back
        segments=[
            ("opaque", token if len(token) <= MAX_OPAQUE_ECHO else f"{shorten(token)} ({len(token)} characters)")
        ],
        checks=[
            {
                "name": "structure",
                "status": "fail",
                "detail": "not a JWT (header.payload.signature)",
                "why": WHY["structure"],
            }
        ],
        api=api,
        verdict="not verified",
    )


def _claim_line(row: dict) -> str:
    line = f"  {row['name']:<18} {row['value']}" + (f"  ({row['time']})" if row["time"] else "")
    return line + (f"  [customized? {row['custom']}]" if row.get("custom") else "")


def _api_line(api: dict) -> str:
    if api["status"] == 200:
        return f"GET /api/me would answer 200: {json.dumps(api['body'])}"
    return f"GET /api/me would answer {api['status']} {api['error'] or ''}: {api['description']}".rstrip()


def as_text(result: Inspection) -> str:
    """The CLI's rendering."""
    lines = [result.title, "", result.summary, ""]
    if result.keys:
        lines.append(f"Keys: {result.keys}")
    if result.client:
        lines.append(f"App client: {result.client}")
    if result.header:
        lines.append("Header: " + json.dumps(result.header, ensure_ascii=False))
    lines += [_claim_line(row) for row in result.claims]
    if result.checks:
        lines.append("Checks:")
    for check in result.checks:
        mark = {"pass": "PASS", "fail": "FAIL", "skipped": "SKIP", "unchecked": "----"}[check["status"]]
        lines.append(f"  {mark:<4} {check['name']}: {check['detail']}")
    if result.not_checked:
        lines.append("Could not check: " + "; ".join(result.not_checked) + ".")
    if result.clock:
        lines.append("Clock:")
        lines += [f"  {note}" for note in result.clock]
    if result.api:
        lines.append(_api_line(result.api))
    qualified = result.verdict == "valid" and result.not_checked
    lines.append(f"Verdict: {result.verdict}" + (" (every check that could be made passes)" if qualified else ""))
    return "\n".join(lines)
