"""What this app needs of a Cognito user pool and its app clients: one list of rules, each with its fix.

`cognito setup` creates what they describe (aws_setup/clients.py's wanted settings carry the `field`
each rule names), `cognito inspect` checks them through the AWS API (aws_setup/inspect.py), and the
setup doctor (lab/doctor.py) finds the same gaps from outside, through the provider's endpoints. A fix
names only settings config.py accepts (tests/test_pool_rules.py checks it); `{uri}`-style fields are
filled in where the rule is used.
"""

from __future__ import annotations

from dataclasses import dataclass

SETUP = "`flask --app app cognito setup`"


@dataclass(frozen=True)
class Rule:
    name: str
    need: str  # what the app needs, in a sentence
    fix: str  # how to get it (a template: `{uri}`, `{scopes}`, ...)
    severity: str = "fail"  # what a gap costs: fail (the app cannot sign in) or warn (a page or an extra is lost)
    field: str = ""  # the app client's setting (DescribeUserPoolClient) it concerns, if any

    def fix_for(self, **values: str) -> str:
        return self.fix.format(**values)


RULES: tuple[Rule, ...] = (
    Rule(
        "domain",
        "The user pool has a domain: Cognito's OAuth endpoints exist only there.",
        "Add a domain to the user pool (console: App integration → Domain, with managed login), or run "
        f"{SETUP}; then set COGNITO_DOMAIN to it.",
    ),
    Rule(
        "domain_active",
        "The domain is ACTIVE.",
        "A new domain takes about a minute to become ACTIVE; wait and check again.",
        "warn",
    ),
    Rule(
        "feature_plan",
        "The pool is on the Essentials or Plus feature plan (Lite has no managed login).",
        "Switch the pool to Essentials (console: Settings → Feature plan) to use managed login; see "
        "docs/cognito-pool.md for the cost.",
        "warn",
    ),
    Rule(
        "branding",
        "The app client has a managed login branding style.",
        "Give the app client a managed login branding style (console: Branding → Managed login → Create a style, "
        f"or run {SETUP}): an app client created through the API has none, and its sign-in page says "
        "'Login pages unavailable'.",
    ),
    Rule(
        "callback_url",
        "The app's callback URL is an allowed callback URL of the app client.",
        "Add {uri} to the app client's allowed callback URLs, exactly, or fix APP_URL.",
        field="CallbackURLs",
    ),
    Rule(
        "implicit_callback_url",
        "The implicit page's callback URL is an allowed callback URL of the app client.",
        "Add {uri} to the app client's allowed callback URLs, exactly, or fix APP_URL.",
        "warn",
        field="CallbackURLs",
    ),
    Rule(
        "sign_out_url",
        "The signed-out page is an allowed sign-out URL of the app client.",
        "Add {uri} to the allowed sign-out URLs, or sign-out ends on a Cognito error page.",
        "warn",
        field="LogoutURLs",
    ),
    Rule(
        "code_grant",
        "The app client may use the authorization code grant.",
        "Enable the authorization code grant on the app client.",
        field="AllowedOAuthFlows",
    ),
    Rule(
        "implicit_grant",
        "The app client may use the implicit grant (the implicit page, a legacy flow shown for comparison).",
        "Enable the implicit grant on the app client (the implicit page, a legacy flow shown for comparison).",
        "warn",
        field="AllowedOAuthFlows",
    ),
    Rule(
        "oauth_grants",
        "OAuth 2.0 grants are enabled on the app client.",
        "Enable OAuth 2.0 grants on the app client.",
        field="AllowedOAuthFlowsUserPoolClient",
    ),
    Rule(
        "scopes",
        "The app client may use the scopes the app asks for.",
        "Enable the {scopes} on the app client (OAUTH_SCOPES names the scopes the app asks for).",
        field="AllowedOAuthScopes",
    ),
    Rule(
        "custom_scopes",
        "The app client may use the resource server's custom scopes the authorize panel offers.",
        "The authorize panel offers them; a request for a scope the client may not use is refused "
        f"(invalid_scope). Allow {{scopes}} on the app client, or run {SETUP}.",
        "warn",
        field="AllowedOAuthScopes",
    ),
    Rule(
        "user_existence_errors",
        "The sign-in pages do not reveal whether a user exists.",
        "Turn on 'Prevent user existence errors' on the app client (PreventUserExistenceErrors=ENABLED).",
        "warn",
        field="PreventUserExistenceErrors",
    ),
    Rule(
        "confidential_client",
        "The web app's client is confidential: it has a secret.",
        "Create a confidential app client with a secret (a secret cannot be added later), and set "
        "OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET to it.",
    ),
    Rule(
        "public_client",
        "The browser-only flow's client is public (no secret), may use the code grant, and allows {uri}.",
        "Create an app client without a secret, allowed the code grant, with callback {uri}; "
        "set OAUTH_PUBLIC_CLIENT_ID.",
    ),
    Rule(
        "public_client_callback_url",
        "The browser-only flow's callback URL is an allowed callback URL of the public client.",
        "Add {uri} to the public app client's allowed callback URLs, exactly.",
        field="CallbackURLs",
    ),
    Rule(
        "public_client_grant",
        "The public client may use the code grant and the scopes openid, email, profile.",
        "Enable the authorization code grant and the scopes openid, email, profile on the public app client.",
        field="AllowedOAuthFlows",
    ),
    Rule(
        "public_client_secret",
        "The public client has no secret: a browser cannot keep one.",
        "Create a new app client of type public (no client secret: a secret cannot be removed from a client), "
        "then set OAUTH_PUBLIC_CLIENT_ID to it.",
    ),
)

_BY_NAME = {rule.name: rule for rule in RULES}


def rule(name: str) -> Rule:
    return _BY_NAME[name]


def fix(name: str, **values: str) -> str:
    """The fix of rule `name`, its fields filled in."""
    return _BY_NAME[name].fix_for(**values)
