"""Token customization: what Cognito's pre token generation Lambda trigger does, without a Lambda.

The pool file names the trigger as the user pool does and gives the function's answer as the trigger's
own response shape (the `response` of a V2_0 / V3_0 event):

    "LambdaConfig": {"PreTokenGenerationConfig": {"LambdaVersion": "V2_0" | "V3_0", "LambdaArn": "..."}},
    "PreTokenGenerationResponse": {"claimsAndScopeOverrideDetails": {
        "idTokenGeneration": {"claimsToAddOrOverride": {...}, "claimsToSuppress": [...]},
        "accessTokenGeneration": {"claimsToAddOrOverride": {...}, "claimsToSuppress": [...],
                                  "scopesToAdd": [...], "scopesToSuppress": [...]},
        "groupOverrideDetails": {"groupsToOverride": [...], "iamRolesToOverride": [...], "preferredRole": "..."}}}

Source: https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-pre-token-generation.html
- V2_0 customizes ID and access tokens of user sign-ins; V3_0 also the access tokens of client-credentials
  grants ("Aside from the circumstances of the resulting access tokens, version two and three events are
  identical"); both need the Essentials or Plus feature plan. V1_0 (ID token only, `claimsOverrideDetails`)
  is refused here: the lab shows the V2/V3 shape. botocore's model: LambdaConfigType.PreTokenGenerationConfig
  (PreTokenGenerationVersionConfigType: LambdaVersion V1_0 | V2_0 | V3_0, LambdaArn).
- Claim values may be strings, numbers, booleans, arrays of these, or JSON objects, "except for
  phone_number_verified, email_verified, updated_at, and address" in the ID token.
- The page's "Excluded claims and scopes" section lists the claims a trigger can't add, override or
  suppress. Our document search could read only the start of that page; the list below is the one an
  independent simulator carries (KensioSoftware/yulin, src/service/cognito/user-pool/token/
  sim-cognito-reserved-claims.ts), and AWS's step-up page confirms `acr` and `amr` for it ("You can't
  customize, override, add to, or suppress these claims with a pre token generation Lambda trigger",
  https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-step-up-authentication.html).
  Real Cognito is reported to ignore such a claim; the lab refuses it when the pool file loads, so a rule
  that would do nothing at AWS never seems to work here.
- `scope` in claimsToAddOrOverride / claimsToSuppress is refused too (the lab's own rule): the trigger
  has scopesToAdd / scopesToSuppress for it.
Order (not documented; MiniStack's and yulin's order): group override, then claims added or overridden,
then claims suppressed (a claim both added and suppressed is suppressed); scopes: suppressed, then added.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import PoolFileError

EXCLUDED_CLAIMS = frozenset(
    {
        "acr",
        "amr",
        "at_hash",
        "aud",
        "auth_time",
        "azp",
        "cognito:username",
        "exp",
        "iat",
        "identities",
        "iss",
        "jti",
        "nbf",
        "nonce",
        "origin_jti",
        "sub",
        "token_use",
    }
)
SIMPLE_ONLY_IN_ID_TOKEN = frozenset({"phone_number_verified", "email_verified", "updated_at", "address"})
VERSIONS = ("V2_0", "V3_0")
SCOPE = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")  # RFC 6749 §3.3 scope-token
MAX_DEPTH = 8
SOURCES = {  # the event's triggerSource for each way a token is minted
    "sign_in": "TokenGeneration_HostedAuth",
    "refresh": "TokenGeneration_RefreshTokens",
    "client_credentials": "TokenGeneration_ClientCredentials",
}
TOKEN_KEYS = {
    "idTokenGeneration": ("claimsToAddOrOverride", "claimsToSuppress"),
    "accessTokenGeneration": ("claimsToAddOrOverride", "claimsToSuppress", "scopesToAdd", "scopesToSuppress"),
}
GROUP_KEYS = ("groupsToOverride", "iamRolesToOverride", "preferredRole")


class CustomizationError(PoolFileError):
    """The pool file's token customization cannot be used; the message says where and why."""


@dataclass(frozen=True)
class TokenRules:
    """One token's part of the trigger's answer."""

    add: Mapping[str, Any] = field(default_factory=dict)
    suppress: tuple[str, ...] = ()
    scopes_add: tuple[str, ...] = ()
    scopes_suppress: tuple[str, ...] = ()


@dataclass(frozen=True)
class GroupOverride:
    groups: tuple[str, ...] | None = None
    roles: tuple[str, ...] | None = None
    preferred_role: str | None = None


@dataclass(frozen=True)
class Customization:
    """The trigger's version and its answer, checked."""

    version: str
    id_token: TokenRules = TokenRules()
    access_token: TokenRules = TokenRules()
    groups: GroupOverride = GroupOverride()

    def apply(self, claims: dict, token_use: str, source: str) -> tuple[dict, dict | None]:
        """The claims as the trigger would leave them, and what it changed (None: it did not run).
        `source` is a key of SOURCES; client credentials run only a V3_0 trigger."""
        machine = source == "client_credentials"
        if machine and self.version != "V3_0":
            return claims, None
        before = dict(claims)
        out = dict(claims)
        if not machine:
            _override_groups(out, self.groups, token_use)
        rules = self.id_token if token_use == "id" else self.access_token
        out.update(rules.add)
        for name in rules.suppress:
            out.pop(name, None)
        scopes: dict[str, list[str]] = {"added": [], "suppressed": []}
        if token_use == "access" and (rules.scopes_add or rules.scopes_suppress):
            out["scope"], scopes = _scopes(str(out.get("scope", "")), rules)
        return out, _provenance(before, out, token_use, self.version, SOURCES[source], scopes)


def _override_groups(claims: dict, groups: GroupOverride, token_use: str) -> None:
    """groupOverrideDetails: cognito:groups in both tokens; roles and the preferred role in the ID token."""
    if groups.groups is not None:
        if groups.groups:
            claims["cognito:groups"] = list(groups.groups)
        else:  # no groups: no claim, as for a user in none
            claims.pop("cognito:groups", None)
    if token_use == "id":
        if groups.roles is not None:
            claims["cognito:roles"] = list(groups.roles)
        if groups.preferred_role is not None:
            claims["cognito:preferred_role"] = groups.preferred_role


def _scopes(scope: str, rules: TokenRules) -> tuple[str, dict[str, list[str]]]:
    had = scope.split()
    kept = [s for s in had if s not in rules.scopes_suppress]
    now = kept + [s for s in dict.fromkeys(rules.scopes_add) if s not in kept]
    return " ".join(now), {
        "added": [s for s in now if s not in had],
        "suppressed": [s for s in had if s not in now],
    }


def _provenance(before: dict, after: dict, token_use: str, version: str, source: str, scopes: dict) -> dict:
    """Which claims and scopes of one minted token came from customization: names only, no values."""
    changed = [k for k in after if k in before and after[k] != before[k] and k != "scope"]
    return {
        "token_use": token_use,
        "event_version": version,
        "trigger_source": source,
        "claims": {
            "added": [k for k in after if k not in before],
            "overridden": changed,
            "suppressed": [k for k in before if k not in after],
        },
        "scopes": scopes,
    }


# -- loading the pool file ------------------------------------------------------------------------------


def load(config: Mapping[str, Any]) -> Customization | None:
    """The pool's customization, or None when it has no pre token generation trigger. Refuses (with a
    CustomizationError naming the field) what Cognito would refuse or ignore."""
    trigger = (config.get("LambdaConfig") or {}).get("PreTokenGenerationConfig")
    response = config.get("PreTokenGenerationResponse")
    if trigger is None:
        if response is not None:
            raise CustomizationError(
                "PreTokenGenerationResponse is set but LambdaConfig.PreTokenGenerationConfig is not: "
                'add "LambdaConfig": {"PreTokenGenerationConfig": {"LambdaVersion": "V2_0"}}'
            )
        return None
    version = _trigger_version(trigger, config.get("UserPoolTier", "ESSENTIALS"))
    if response is None:  # a function that returns the event unchanged
        return Customization(version)
    details = _object(response, "PreTokenGenerationResponse", ("claimsAndScopeOverrideDetails",))
    body = details.get("claimsAndScopeOverrideDetails")
    if body is None:
        return Customization(version)
    where = "PreTokenGenerationResponse.claimsAndScopeOverrideDetails"
    body = _object(body, where, (*TOKEN_KEYS, "groupOverrideDetails"))
    return Customization(
        version,
        id_token=_token_rules(body.get("idTokenGeneration"), f"{where}.idTokenGeneration", "id"),
        access_token=_token_rules(body.get("accessTokenGeneration"), f"{where}.accessTokenGeneration", "access"),
        groups=_groups(body.get("groupOverrideDetails"), f"{where}.groupOverrideDetails"),
    )


def _trigger_version(trigger: Any, tier: Any) -> str:
    where = "LambdaConfig.PreTokenGenerationConfig"
    trigger = _object(trigger, where, ("LambdaVersion", "LambdaArn"))
    version = trigger.get("LambdaVersion")
    if version == "V1_0":
        raise CustomizationError(
            f"{where}.LambdaVersion V1_0 (ID token only) is not simulated here: use V2_0 (ID and access "
            "tokens of user sign-ins) or V3_0 (also client-credentials tokens)"
        )
    if version not in VERSIONS:
        raise CustomizationError(f"{where}.LambdaVersion must be V2_0 or V3_0, not {version!r}")
    if "LambdaArn" in trigger and not isinstance(trigger["LambdaArn"], str):
        raise CustomizationError(f"{where}.LambdaArn must be a string (the local provider does not call it)")
    if tier not in ("ESSENTIALS", "PLUS"):
        raise CustomizationError(
            f"{where}: {version} events need the Essentials or Plus feature plan; UserPoolTier is {tier!r}"
        )
    return version


def _object(value: Any, where: str, allowed: tuple[str, ...]) -> dict:
    if not isinstance(value, dict):
        raise CustomizationError(f"{where} must be an object")
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise CustomizationError(f"{where} has unknown field(s) {unknown}; allowed: {list(allowed)}")
    return value


def _token_rules(value: Any, where: str, token_use: str) -> TokenRules:
    if value is None:
        return TokenRules()
    keys = TOKEN_KEYS["idTokenGeneration" if token_use == "id" else "accessTokenGeneration"]
    if token_use == "id" and isinstance(value, dict) and ({"scopesToAdd", "scopesToSuppress"} & set(value)):
        raise CustomizationError(f"{where}: scopes are changed in accessTokenGeneration only (an ID token has none)")
    value = _object(value, where, keys)
    add = value.get("claimsToAddOrOverride") or {}
    if not isinstance(add, dict):
        raise CustomizationError(f"{where}.claimsToAddOrOverride must be an object of claim names and values")
    for name, claim in add.items():
        _check_claim_name(name, f"{where}.claimsToAddOrOverride")
        _check_value(claim, f"{where}.claimsToAddOrOverride[{name!r}]", 0)
        if token_use == "id" and name in SIMPLE_ONLY_IN_ID_TOKEN and isinstance(claim, (list, dict)):
            raise CustomizationError(
                f"{where}.claimsToAddOrOverride[{name!r}]: Cognito takes no array or object for {name} in the ID token"
            )
    suppress = _strings(value.get("claimsToSuppress"), f"{where}.claimsToSuppress")
    for name in suppress:
        _check_claim_name(name, f"{where}.claimsToSuppress")
    return TokenRules(
        add=dict(add),
        suppress=suppress,
        scopes_add=_scope_list(value.get("scopesToAdd"), f"{where}.scopesToAdd"),
        scopes_suppress=_scope_list(value.get("scopesToSuppress"), f"{where}.scopesToSuppress"),
    )


def _check_claim_name(name: Any, where: str) -> None:
    if not isinstance(name, str) or not name:
        raise CustomizationError(f"{where}: a claim name must be a non-empty string")
    if name in EXCLUDED_CLAIMS:
        raise CustomizationError(
            f"{where} names {name!r}, a claim Cognito does not let a pre token generation trigger add, override "
            f"or suppress (Cognito sets it itself). Excluded claims: {', '.join(sorted(EXCLUDED_CLAIMS))}"
        )
    if name == "scope":
        raise CustomizationError(f"{where} names 'scope': change scopes with scopesToAdd and scopesToSuppress")


def _check_value(value: Any, where: str, depth: int) -> None:
    """A JSON value the token can carry: finite numbers, bounded nesting."""
    if depth > MAX_DEPTH:
        raise CustomizationError(f"{where}: nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, float) and not math.isfinite(value):
        raise CustomizationError(f"{where}: {value} is not a JSON number")
    if isinstance(value, list):
        for item in value:
            _check_value(item, where, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_value(item, f"{where}[{key!r}]", depth + 1)
    elif value is None:
        raise CustomizationError(f"{where}: null is not a claim value (use claimsToSuppress to remove a claim)")
    elif not isinstance(value, (str, int, float, bool)):
        raise CustomizationError(f"{where}: not a JSON value")


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise CustomizationError(f"{where} must be a list of non-empty strings")
    return tuple(value)


def _scope_list(value: Any, where: str) -> tuple[str, ...]:
    scopes = _strings(value, where)
    for scope in scopes:
        if not SCOPE.fullmatch(scope):
            raise CustomizationError(f"{where}: {scope!r} is not a scope (printable ASCII, no spaces or quotes)")
    return scopes


def _groups(value: Any, where: str) -> GroupOverride:
    if value is None:
        return GroupOverride()
    value = _object(value, where, GROUP_KEYS)
    role = value.get("preferredRole")
    if role is not None and not isinstance(role, str):
        raise CustomizationError(f"{where}.preferredRole must be a string (an IAM role ARN)")
    groups, roles = (
        _strings(value[key], f"{where}.{key}") if key in value else None
        for key in ("groupsToOverride", "iamRolesToOverride")
    )
    return GroupOverride(groups=groups, roles=roles, preferred_role=role)
