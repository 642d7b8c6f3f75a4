"""Scopes as the dashboard explains them: a 403 from the API that names the missing scope (RFC 6750 §3.1
insufficient_scope), and custom (resource-server) scopes in an access token's `scope`."""

from __future__ import annotations

import re

# auth-param = token "=" ( token / quoted-string ) (RFC 9110 §11.2), as a Bearer challenge carries them
_PARAM = re.compile(r'([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def challenge_params(challenge: str) -> dict[str, str]:
    """The auth-params of a `WWW-Authenticate: Bearer ...` challenge (realm, error, error_description, scope)."""
    scheme, _, rest = challenge.strip().partition(" ")
    if scheme.lower() != "bearer":
        return {}
    return {m[1].lower(): (m[2] if m[2] is not None else m[3]).replace('\\"', '"') for m in _PARAM.finditer(rest)}


def custom_scopes(scope: object) -> list[str]:
    """The resource-server scopes (`identifier/name`) of a `scope` claim value."""
    return [s for s in str(scope or "").split() if "/" in s] if isinstance(scope, str) else []


def scope_refusal(status: int, challenge: str, token_scope: object) -> dict | None:
    """Why the API refused a token for its scope: the scope its challenge names as required, the token's own
    scope, and which required ones it lacks. None when the answer is not a 403 insufficient_scope."""
    params = challenge_params(challenge)
    if status != 403 or params.get("error") != "insufficient_scope":
        return None
    required = params.get("scope", "").split()
    have = token_scope.split() if isinstance(token_scope, str) else []
    return {"required": required, "have": have, "missing": [s for s in required if s not in have]}
