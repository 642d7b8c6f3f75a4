"""`cognito inspect`: every setting of a pool and app client that would break this app, each with its fix.

What the app needs, and each fix, is lab/pool_rules.py's list (the setup doctor uses the same rules).
Each part reads what it needs on its own: a call that fails or that the endpoint does not implement
(an emulator) becomes a finding of its own, and the other parts are still checked and reported.
"""

from __future__ import annotations

from collections.abc import Callable

from lab.pool_rules import rule
from oauth.config import CALLBACK_PATH, IMPLICIT_CALLBACK_PATH, SIGNED_OUT_PATH

from .api import CognitoApi, SetupError, Unsupported
from .clients import CUSTOM_SCOPES, SCOPES

Finding = tuple[str, str, str]  # (pass | warn | fail | info, finding, fix)


class Findings:
    def __init__(self) -> None:
        self.items: list[Finding] = []

    def check(self, ok: bool, text: str, fix: str, severity: str = "fail") -> None:
        self.items.append(("pass", text, "") if ok else (severity, text, fix))

    def rule(self, name: str, ok: bool, text: str, **values: str) -> None:
        """A check of lab/pool_rules.py's rule `name`: its severity and its fix (fields filled in)."""
        found = rule(name)
        self.check(ok, text, found.fix_for(**values), found.severity)

    def info(self, text: str) -> None:
        self.items.append(("info", text, ""))

    def attempt(self, what: str, part: Callable[[], None]) -> bool:
        """Run one part; a failed call is reported (warn when the endpoint lacks it) and inspection goes on."""
        try:
            part()
        except Unsupported as exc:
            self.items.append(
                ("warn", f"could not check {what}: {exc}", "An emulator may lack this call; real Cognito has it.")
            )
            return False
        except SetupError as exc:
            self.items.append(("fail", f"could not check {what}: {exc}", ""))
            return False
        return True


def inspect(api: CognitoApi, *, pool_id: str, client_id: str, app_url: str) -> list[Finding]:
    """(status, finding, fix) for every setting that would break this app."""
    out = Findings()
    pool: dict = {}

    def read_pool() -> None:
        pool.update(api.describe_pool(pool_id))

    if out.attempt("the user pool", read_pool):
        _pool(out, pool)
        domain = pool.get("CustomDomain") or pool.get("Domain")
        if domain:
            out.attempt("the domain", lambda: _domain(out, api, domain))
    client: dict = {}

    def read_client() -> None:
        client.update(api.describe_client(pool_id, client_id))

    out.attempt("the managed login branding style", lambda: _branding(out, api, pool_id, client_id))
    if out.attempt("the app client", read_client):
        _client(out, client, app_url)
    return out.items


def _pool(out: Findings, pool: dict) -> None:
    tier = pool.get("UserPoolTier") or "ESSENTIALS"
    out.rule(
        "feature_plan",
        tier != "LITE",
        f"feature plan: {tier}"
        + (" (managed login is available)" if tier != "LITE" else " (no managed login: classic hosted UI only)"),
    )
    issuer = ((pool.get("IssuerConfiguration") or {}).get("Type") or "ORIGINAL").upper()
    out.info(f"issuer: {issuer} (set COGNITO_ISSUER_TYPE={issuer} in .env; setup writes it)")
    protected = pool.get("DeletionProtection") == "ACTIVE"
    out.info(f"deletion protection: {'on (teardown refuses until it is off)' if protected else 'off'}")
    domain = pool.get("CustomDomain") or pool.get("Domain")
    out.rule(
        "domain",
        bool(domain),
        f"domain: {domain}" if domain else "the user pool has no domain, so the managed login endpoints do not exist",
    )


def _domain(out: Findings, api: CognitoApi, domain: str) -> None:
    found = api.describe_domain(domain)
    version = found.get("ManagedLoginVersion")
    status = found.get("Status") or "ACTIVE"
    out.rule("domain_active", status == "ACTIVE", f"domain status: {status}")
    label = {1: "1 (classic hosted UI)", 2: "2 (managed login)"}.get(version or 0, str(version))
    out.info(f"domain managed login version: {label}")


def _branding(out: Findings, api: CognitoApi, pool_id: str, client_id: str) -> None:
    branded = api.find_branding(pool_id, client_id) is not None
    out.rule("branding", branded, f"the app client has {'a' if branded else 'no'} managed login branding style")


def _client(out: Findings, client: dict, app_url: str) -> None:
    callbacks = client.get("CallbackURLs") or []
    for name, uri in (
        ("callback_url", app_url + CALLBACK_PATH),
        ("implicit_callback_url", app_url + IMPLICIT_CALLBACK_PATH),
    ):
        allowed = uri in callbacks
        out.rule(name, allowed, f"callback URL {uri} is {'' if allowed else 'not '}allowed", uri=uri)
    logout = app_url + SIGNED_OUT_PATH
    allowed = logout in (client.get("LogoutURLs") or [])
    out.rule("sign_out_url", allowed, f"sign-out URL {logout} is {'' if allowed else 'not '}allowed", uri=logout)
    flows = client.get("AllowedOAuthFlows") or []
    out.rule("code_grant", "code" in flows, f"authorization code grant is {'on' if 'code' in flows else 'off'}")
    out.rule("implicit_grant", "implicit" in flows, f"implicit grant is {'on' if 'implicit' in flows else 'off'}")
    out.rule(
        "oauth_grants",
        bool(client.get("AllowedOAuthFlowsUserPoolClient")),
        "OAuth 2.0 grants are enabled on the client",
    )
    scopes = client.get("AllowedOAuthScopes") or []
    missing = [s for s in SCOPES if s not in scopes]
    out.rule("scopes", not missing, f"scopes: {' '.join(scopes) or '(none)'}", scopes="scopes " + " ".join(missing))
    custom = [s for s in CUSTOM_SCOPES if s not in scopes]
    shown = "allowed" if not custom else "missing: " + " ".join(custom)
    out.rule("custom_scopes", not custom, f"custom scopes {shown}", scopes=" ".join(custom))
    hides = client.get("PreventUserExistenceErrors") == "ENABLED"
    out.rule(
        "user_existence_errors",
        hides,
        f"the sign-in pages {'do not reveal' if hides else 'may reveal'} whether a user exists "
        f"(PreventUserExistenceErrors={client.get('PreventUserExistenceErrors') or 'LEGACY'})",
    )
    arn = client.get("ClientSecretArn")
    out.rule(
        "confidential_client",
        bool(client.get("ClientSecret") or arn),
        "the app client has a secret"
        + (f" (kept in AWS Secrets Manager: {arn})" if arn and not client.get("ClientSecret") else ""),
    )
