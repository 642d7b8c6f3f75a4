"""`acr_values` / `max_age` on the authorize and login endpoints, and the `acr` / `amr` claims.

AWS documents them for managed login (read 2026-12):
- https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-step-up-authentication.html
  four fixed levels, named urn:cognito:loa:1..4 unless the pool's `AcrConfiguration` renames them
  (Level1..Level4 -> {"AcrValue"}: unique, 1-64 characters, no spaces, `"` or `\\`); level 1 is a
  password only, level 4 a password with a TOTP from an authenticator app (levels 2 and 3 need SMS or
  email codes or passkeys, which this provider has not); Cognito "assigns the highest authentication
  level that the user's completed factors fully satisfy"; `amr` lists the methods (`pwd`, `otp`, and
  `mfa` for two or more factors); both claims go in ID and access tokens, a refresh keeps them, and no
  Lambda trigger may change them; Essentials or Plus, and on Lite the authorize endpoint "silently
  ignores acr_values".
- https://docs.aws.amazon.com/cognito/latest/developerguide/login-endpoint.html (step-up request):
  `acr_values` is "a space-separated ... list of target ACR authentication level URIs, from highest to
  lowest. Amazon Cognito evaluates the list from left to right, enforces the first valid level that the
  user can satisfy, and ignores values that it doesn't recognize"; `max_age` is a non-negative integer of
  seconds: when now - auth_time is greater, "the user must authenticate again from scratch instead of only
  stepping up".
- https://docs.aws.amazon.com/cognito/latest/developerguide/authentication-flows-selection-sdk.html
  (USER_AUTH step-up, which the login page says acr_values behaves like): "If the user has no factors
  configured to meet any requested target level, Amazon Cognito returns an error."

Chosen here where AWS is silent (tests/fixtures/cognito/README.md lists them): the claims are set only
for a sign-in that asked with `acr_values` (AWS: "In response to these inputs, Amazon Cognito adds two
claims"); a target level is met by any higher level; an unmet target redirects with the OpenID error
`unmet_authentication_requirements` (the error code AWS gives for managed login is not documented); a
malformed `max_age` is `invalid_request`; a completed step-up sets `auth_time` to its own time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct

from .errors import PoolFileError

LEVELS = (1, 2, 3, 4)
PASSWORD_ONLY, PASSWORD_AND_TOTP = ["pwd"], ["pwd", "otp", "mfa"]
TOTP_STEP, TOTP_DIGITS = 30, 6
ACR_VALUE = re.compile(r'[^\s"\\]{1,64}')


class AcrConfigError(PoolFileError):
    """The pool's AcrConfiguration breaks AWS's rules for level names."""


def level_names(config: dict) -> dict[int, str]:
    """Level -> name: urn:cognito:loa:N, or the pool's AcrConfiguration (checked as AWS does)."""
    names = {n: f"urn:cognito:loa:{n}" for n in LEVELS}
    custom = config.get("AcrConfiguration") or {}
    if not isinstance(custom, dict) or set(custom) - {f"Level{n}" for n in LEVELS}:
        raise AcrConfigError("AcrConfiguration takes only Level1 to Level4, each {'AcrValue': '...'}")
    for key, value in custom.items():
        name = value.get("AcrValue") if isinstance(value, dict) else None
        if not isinstance(name, str) or not ACR_VALUE.fullmatch(name):
            raise AcrConfigError(
                f"AcrConfiguration.{key}.AcrValue must be 1-64 characters without spaces, quotes or \\"
            )
        names[int(key[5:])] = name
    if len(set(names.values())) != len(LEVELS):
        raise AcrConfigError(f"AcrConfiguration: each level needs its own name (with the defaults: {names})")
    return names


def achieved_level(amr: list[str]) -> int:
    """The highest level the completed methods satisfy (of those this provider offers)."""
    return 4 if "otp" in amr and "pwd" in amr else 1


def target_level(acr_values: str | None, names: dict[int, str], has_totp: bool) -> int | None:
    """The first recognised level in `acr_values` the user can satisfy; None when none was asked for.
    Raises ValueError when levels were asked for but the user can meet none of them."""
    asked = [level for value in (acr_values or "").split() for level, name in names.items() if name == value]
    if not asked:
        return None
    reachable = 4 if has_totp else 1
    for level in asked:
        if level <= reachable:
            return level
    raise ValueError("the user has no factors configured to meet any requested level")


def max_age_of(args: dict) -> int | None:
    """The request's max_age (a non-negative integer of seconds), or None; ValueError when malformed."""
    raw = args.get("max_age")
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 10:
        raise ValueError("max_age must be a non-negative integer of seconds")
    return int(raw)


def claims(level: int, amr: list[str], names: dict[int, str]) -> dict:
    return {"acr": names[level], "amr": list(amr)}


def totp(secret: str, moment: float, step_offset: int = 0) -> str:
    """RFC 6238 TOTP (HMAC-SHA1, 30 s, 6 digits) for a base32 secret, as authenticator apps compute it."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int(moment // TOTP_STEP) + step_offset
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**TOTP_DIGITS).zfill(TOTP_DIGITS)


def totp_matches(secret: str, code: str, moment: float) -> bool:
    """The code of this 30-second step or a neighbour (RFC 6238 §5.2: one step of clock drift)."""
    code = (code or "").strip()
    return any(hmac.compare_digest(totp(secret, moment, drift), code) for drift in (-1, 0, 1))
