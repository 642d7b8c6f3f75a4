"""A token's verification kept with the token (by the sign-in that received it, or the refresh that
replaced it): plain data for the session, shown later as it was made, with only the clock read again.

The dashboard shows what the sign-in verified (signature, iss, aud, token_use, sub, nonce, at_hash)
instead of verifying the kept tokens again: a kept token has no login left to compare its nonce with,
and the key that signed it may have left the JWKS since. Only exp, iat and nbf depend on when they are
read; `checks_at` reads them again from the token's claims each time the checks are shown, as the
dashboard always said them ("expires … (in 57 min)", and failed once the token has expired).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .tokens import LEEWAY, SKIP, Check, CheckName, Result, Verification, check_exp, check_iat, check_nbf


def clock_checks(claims: Mapping[str, Any], now: float, leeway: int = LEEWAY) -> dict[CheckName, Result]:
    """The checks a verified token's clock decides alone, at `now`: exp; iat not in the future (its age
    at login was checked then); nbf when present."""
    values = dict(claims)
    made = [check_exp(values, now, leeway), check_iat(values, now, leeway, SKIP), check_nbf(values, now, leeway)]
    return {result[0]: result for result in made if result is not None}


_NAMES = frozenset(CheckName)


@dataclass(frozen=True, slots=True)
class KeptVerification:
    """One token's checks as made when it was stored: name, passed, and the sentence said then."""

    checks: tuple[tuple[CheckName, bool, str], ...]

    @classmethod
    def of(cls, result: Verification) -> KeptVerification:
        return cls(tuple((check.name, check.passed, check.detail) for check in result.checks))

    def to_stored(self) -> list[dict[str, Any]]:
        """The plain form a session store keeps (msgpack or JSON: strings, booleans, lists, dicts)."""
        return [{"name": str(name), "passed": passed, "detail": detail} for name, passed, detail in self.checks]

    @classmethod
    def from_stored(cls, stored: object) -> KeptVerification | None:
        """The kept checks in `stored`, or None when it is not what `to_stored` writes."""
        if not isinstance(stored, list) or not stored:
            return None
        checks = []
        for item in stored:
            if not isinstance(item, Mapping) or set(item) != {"name", "passed", "detail"}:
                return None
            name, passed, detail = item["name"], item["passed"], item["detail"]
            if not (isinstance(name, str) and name in _NAMES and type(passed) is bool and isinstance(detail, str)):
                return None
            checks.append((CheckName(name), passed, detail))
        return cls(tuple(checks))

    def checks_at(self, claims: Mapping[str, Any], now: float) -> list[Check]:
        """The kept checks in their order, the clock's among them made again at `now` from `claims`
        (the kept token's); a clock check that was not made then is not made now."""
        clock = clock_checks(claims, now)
        return [Check(*clock.get(name, (name, passed, detail))) for name, passed, detail in self.checks]
