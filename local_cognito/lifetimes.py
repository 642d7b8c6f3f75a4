"""Token lifetimes, configured per app client with Cognito's own field names.

In the pool file an app client carries, as in CreateUserPoolClient / DescribeUserPoolClient:

    "AccessTokenValidity": 60, "IdTokenValidity": 60, "RefreshTokenValidity": 30,
    "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"}

Sources (tests/test_lifetimes.py checks them against the installed botocore):
- botocore's cognito-idp model: AccessTokenValidityType and IdTokenValidityType are integers 1 to 86400,
  RefreshTokenValidityType 0 to 315360000; TimeUnitsType is seconds | minutes | hours | days. Its
  TokenValidityUnitsType says "AccessTokenValidity duration can range from five minutes to one day" (the
  same for IdTokenValidity), "RefreshTokenValidity duration can range from 60 minutes to 10 years", and
  that the default unit is hours for access and ID tokens, days for refresh tokens. Its
  RefreshTokenValidity text: "You can't set RefreshTokenValidity to 0. If you do, Amazon Cognito
  overrides the value with the default value of 30 days", and without a setting access and ID tokens
  are valid for one hour, refresh tokens for 30 days.
- https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_TokenValidityUnitsType.html
- https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-id-token.html
  ("You can set the ID token expiration to any value between 5 minutes and 1 day"), and its note that
  managed login's session cookie lasts 1 hour whatever the tokens' lifetimes.

Pool files written before these names carried `access_token_minutes`, `id_token_minutes` and
`refresh_token_days`: `normalize` turns them into the AWS fields (with the units they were in).

`LOCAL_TOKEN_MINUTES` (the launchers read it) sets every client's access and ID tokens to that many
minutes for one run, without changing the file: a demo sees expiry in minutes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .errors import PoolFileError

UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
# (pool-file field, its key in TokenValidityUnits, default value, default unit, shortest, longest) in seconds
FIELDS = {
    "AccessTokenValidity": ("AccessToken", 1, "hours", 5 * 60, 86400),
    "IdTokenValidity": ("IdToken", 1, "hours", 5 * 60, 86400),
    "RefreshTokenValidity": ("RefreshToken", 30, "days", 60 * 60, 3650 * 86400),
}
LIMIT_WORDS = {
    "AccessTokenValidity": "5 minutes to 1 day",
    "IdTokenValidity": "5 minutes to 1 day",
    "RefreshTokenValidity": "60 minutes to 10 years",
}
TOKEN_NAMES = {
    "AccessTokenValidity": "access tokens",
    "IdTokenValidity": "ID tokens",
    "RefreshTokenValidity": "refresh tokens",
}
UNITS_FIELD = "TokenValidityUnits"
LEGACY = {  # older pool files: (field, unit)
    "access_token_minutes": ("AccessTokenValidity", "minutes"),
    "id_token_minutes": ("IdTokenValidity", "minutes"),
    "refresh_token_days": ("RefreshTokenValidity", "days"),
}
ENV = "LOCAL_TOKEN_MINUTES"
DEMO_MINUTES = 5


class LifetimeConfigError(PoolFileError):
    """An app client's token lifetimes are malformed or outside Cognito's limits; the message says which."""


class LifetimeSettingError(ValueError):
    """LOCAL_TOKEN_MINUTES is not a lifetime Cognito accepts; the message says why."""


@dataclass(frozen=True)
class Lifetimes:
    """One app client's token lifetimes, in seconds."""

    access: int = 3600
    id: int = 3600
    refresh: int = 30 * 86400

    def words(self) -> str:
        """'access 5 min, ID 5 min, refresh 30 days'."""
        return f"access {_words(self.access)}, ID {_words(self.id)}, refresh {_words(self.refresh)}"


def defaults() -> dict:
    """A new client's fields: access and ID tokens for 60 minutes, refresh tokens for 30 days (AWS's defaults)."""
    return {
        "AccessTokenValidity": 60,
        "IdTokenValidity": 60,
        "RefreshTokenValidity": 30,
        UNITS_FIELD: {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
    }


def _words(seconds: int) -> str:
    for size, short in ((86400, "day"), (3600, "h"), (60, "min")):
        if seconds % size == 0 and seconds >= size:
            count = seconds // size
            return f"{count} {short}{'s' if short == 'day' and count != 1 else ''}"
    return f"{seconds} s"


def _units(name: str, client: Mapping) -> dict:
    units = client.get(UNITS_FIELD)
    if units is None:
        return {}
    if not isinstance(units, dict):
        raise LifetimeConfigError(f"{name}: {UNITS_FIELD} must be an object like {{'AccessToken': 'minutes'}}")
    keys = [key for key, *_ in FIELDS.values()]
    unknown = sorted(set(units) - set(keys))
    if unknown:
        raise LifetimeConfigError(f"{name}: {UNITS_FIELD} has unknown field(s) {unknown}; only {', '.join(keys)} exist")
    for key, unit in units.items():
        if unit not in UNITS:
            raise LifetimeConfigError(f"{name}: {UNITS_FIELD}.{key} must be one of {', '.join(UNITS)}, not {unit!r}")
    return units


def _seconds(name: str, client: Mapping, field: str, units: dict) -> int:
    key, default, default_unit, shortest, longest = FIELDS[field]
    value = client.get(field, default)
    unit = units.get(key, default_unit)
    if type(value) is not int or value < 0:
        raise LifetimeConfigError(f"{name}: {field} must be a whole number of {unit}, not {value!r}")
    if field == "RefreshTokenValidity" and value == 0:
        return 30 * 86400  # "If you do, Amazon Cognito overrides the value with the default value of 30 days"
    seconds = value * UNITS[unit]
    if not shortest <= seconds <= longest:
        hint = "" if key in units else f" ({UNITS_FIELD}.{key} is not set, so the unit is {default_unit})"
        raise LifetimeConfigError(
            f"{name}: {field} is {value} {unit}{hint}, outside Cognito's limits for {TOKEN_NAMES[field]}: "
            f"{LIMIT_WORDS[field]}"
        )
    return seconds


def lifetimes_of(client: Mapping) -> Lifetimes:
    """The client's token lifetimes, checked; LifetimeConfigError names what is wrong."""
    name = client.get("name") or client.get("client_id") or "an app client"
    units = _units(name, client)
    return Lifetimes(
        access=_seconds(name, client, "AccessTokenValidity", units),
        id=_seconds(name, client, "IdTokenValidity", units),
        refresh=_seconds(name, client, "RefreshTokenValidity", units),
    )


def normalize(client: dict) -> dict:
    """Bring a client of an older pool file to AWS's field names (`access_token_minutes: 60` becomes
    `AccessTokenValidity: 60` with `TokenValidityUnits.AccessToken: minutes`), then check it. Changes
    `client` in place and returns it."""
    for legacy, (field, unit) in LEGACY.items():
        value = client.pop(legacy, None)
        if value is None or field in client:
            continue
        client[field] = value
        units = client.setdefault(UNITS_FIELD, {})
        if isinstance(units, dict):
            units.setdefault(FIELDS[field][0], unit)
    lifetimes_of(client)
    return client


def minutes_from_env(env: Mapping[str, str]) -> int | None:
    """LOCAL_TOKEN_MINUTES: a whole number of minutes within Cognito's limits for access and ID tokens
    (5 to 1440), or None when unset."""
    raw = (env.get(ENV) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 5 <= int(raw) <= 1440:
        raise LifetimeSettingError(
            f"{ENV}={raw!r} must be a whole number of minutes from 5 to 1440: Cognito allows access and ID "
            "tokens 5 minutes to 1 day (AccessTokenValidity, IdTokenValidity)."
        )
    return int(raw)


def apply_minutes(pool: dict, minutes: int | None) -> None:
    """Every client's access and ID tokens live `minutes` (for this run: the pool file is not changed)."""
    if minutes is None:
        return
    for client in pool["clients"]:
        client["AccessTokenValidity"] = client["IdTokenValidity"] = minutes
        units = client.get(UNITS_FIELD)
        units = dict(units) if isinstance(units, dict) else {}
        client[UNITS_FIELD] = {**units, "AccessToken": "minutes", "IdToken": "minutes"}
        lifetimes_of(client)


def banner_line(pool: dict, minutes: int | None) -> str:
    """The start-up banner's line: the web client's lifetimes, and how they were set."""
    how = f"{ENV}={minutes}" if minutes is not None else f"the pool file; {ENV}={DEMO_MINUTES} for a demo"
    return f"{lifetimes_of(pool['clients'][0]).words()} ({how})"
