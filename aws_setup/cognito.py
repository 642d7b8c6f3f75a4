"""Create, inspect and tear down the Cognito resources this app needs, with boto3.

Idempotent: each resource is found by name first and created only when missing; app clients
that drift from the desired settings are updated. What `setup` created (as opposed to found) is
recorded in `instance/cognito-setup.json`, so `teardown` deletes only that.
"""

from __future__ import annotations

import json
import re
import secrets
import string
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, overload
from urllib.parse import urlsplit

from oauth.config import CALLBACK_PATH, IMPLICIT_CALLBACK_PATH, SIGNED_OUT_PATH, SPA_CALLBACK_PATH

POOL_NAME = "cognito-flow-lab"
WEB_CLIENT = "cognito-flow-lab-web"
MACHINE_CLIENT = "cognito-flow-lab-machine"
PUBLIC_CLIENT = "cognito-flow-lab-spa"
RESOURCE_SERVER = "flowlab-api"
SCOPES = ["openid", "email", "profile"]
CUSTOM_SCOPES = [f"{RESOURCE_SERVER}/read", f"{RESOURCE_SERVER}/write"]
TAGS = {"created-by": "cognito-flow-lab"}
# New pools are created on the Essentials feature plan explicitly: managed login needs Essentials
# or Plus (Lite has only the classic hosted UI). See the README for what that costs.
POOL_TIER = "ESSENTIALS"
# 2 = managed login (the current sign-in pages); 1 = the classic hosted UI.
MANAGED_LOGIN_VERSION = 2
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
# CreateUserPoolDomain's own pattern for a prefix, and the words AWS reserves in one.
PREFIX = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
RESERVED_IN_PREFIX = ("aws", "amazon", "cognito")
# Fields DescribeUserPoolClient returns that UpdateUserPoolClient does not take.
READ_ONLY_CLIENT_FIELDS = ("ClientSecret", "CreationDate", "LastModifiedDate")

# Every Cognito API action setup, inspect and teardown call: the IAM policy a user needs.
IAM_ACTIONS = (
    "ListUserPools",
    "CreateUserPool",
    "DescribeUserPool",
    "DeleteUserPool",
    "DescribeUserPoolDomain",
    "CreateUserPoolDomain",
    "DeleteUserPoolDomain",
    "ListResourceServers",
    "CreateResourceServer",
    "DeleteResourceServer",
    "ListUserPoolClients",
    "DescribeUserPoolClient",
    "CreateUserPoolClient",
    "UpdateUserPoolClient",
    "DeleteUserPoolClient",
    "DescribeManagedLoginBrandingByClient",
    "CreateManagedLoginBranding",
    "DeleteManagedLoginBranding",
    "AdminGetUser",
    "AdminCreateUser",
    "AdminDeleteUser",
)


class SetupError(Exception):
    """A clear, actionable failure (no credentials, access denied, domain taken, ...)."""


@dataclass
class Outcome:
    """What a run did: actions taken (or planned), resources created, values for .env."""

    actions: list[str] = field(default_factory=list)
    created: list[dict] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    temporary_password: str = ""
    login_pages: str = f"managed login (version {MANAGED_LOGIN_VERSION})"

    @property
    def changed(self) -> bool:
        return any(not a.startswith("reuse") for a in self.actions)


def explain_aws_error(exc: Exception, doing: str) -> SetupError:
    """Map boto3/botocore errors to what the user should do next."""
    name = type(exc).__name__
    if name in ("NoCredentialsError", "PartialCredentialsError"):
        return SetupError(
            "No AWS credentials found. Run `aws configure` (or `aws sso login`), or set AWS_PROFILE, "
            "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, then run this again."
        )
    if name == "EndpointConnectionError":
        return SetupError(f"Could not reach AWS while trying to {doing}: check the network and --region.")
    code = getattr(exc, "response", {}).get("Error", {}).get("Code", name)
    message = getattr(exc, "response", {}).get("Error", {}).get("Message", str(exc))
    if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "NotAuthorizedException"):
        return SetupError(
            f"AWS denied the request to {doing} ({code}: {message}). Your identity needs these permissions: "
            + ", ".join(f"cognito-idp:{action}" for action in IAM_ACTIONS)
            + "."
        )
    if code in ("InvalidParameterException", "ResourceNotFoundException", "LimitExceededException"):
        return SetupError(f"AWS refused to {doing}: {code}: {message}")
    return SetupError(f"AWS failed to {doing}: {code}: {message}")


def _prefix_taken(prefix: str, owner: str = "") -> str:
    by = f" by another user pool ({owner})" if owner else ""
    return (
        f"The domain prefix {prefix!r} is already taken{by}. Domain prefixes are unique per region across "
        "all AWS accounts: choose another --domain-prefix."
    )


def _password() -> str:
    alphabet = string.ascii_letters + string.digits
    core = "".join(secrets.choice(alphabet) for _ in range(14))
    return f"Fl0w-{core}!"


def check_app_url(app_url: str) -> None:
    """Cognito accepts http:// callback URLs only on loopback; refuse anything else before calling AWS."""
    parts = urlsplit(app_url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise SetupError(
            f"APP_URL={app_url!r} is not an absolute http(s) URL: set APP_URL, e.g. http://localhost:5000."
        )
    if parts.fragment:
        raise SetupError(f"APP_URL={app_url!r} has a #fragment; Cognito refuses callback URLs with one.")
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        raise SetupError(
            f"APP_URL={app_url} uses http:// on {host}. Cognito accepts http:// callback URLs only for "
            "localhost, 127.0.0.1 and [::1]; every other host needs https://. Set APP_URL to an https:// URL "
            "(or to http://localhost:<port> while you try the lab on this machine), then run setup again."
        )


def check_domain_prefix(prefix: str) -> None:
    """The rules CreateUserPoolDomain enforces, checked before calling AWS."""
    if not PREFIX.match(prefix):
        raise SetupError(
            f"The domain prefix {prefix!r} is not valid: use 1 to 63 lowercase letters, digits and hyphens, "
            "starting and ending with a letter or digit (for example my-flow-lab)."
        )
    reserved = [word for word in RESERVED_IN_PREFIX if word in prefix]
    if reserved:
        raise SetupError(
            f"The domain prefix {prefix!r} contains {reserved[0]!r}: Cognito refuses prefixes containing "
            "'aws', 'amazon' or 'cognito'. Choose another --domain-prefix."
        )


def web_client_settings(app_url: str) -> dict:
    return {
        "GenerateSecret": True,
        "AllowedOAuthFlows": ["code", "implicit"],
        "AllowedOAuthScopes": list(SCOPES),
        "AllowedOAuthFlowsUserPoolClient": True,
        "CallbackURLs": [app_url + CALLBACK_PATH, app_url + IMPLICIT_CALLBACK_PATH],
        "LogoutURLs": [app_url + SIGNED_OUT_PATH],
        "SupportedIdentityProviders": ["COGNITO"],
        "EnableTokenRevocation": True,
        "PreventUserExistenceErrors": "ENABLED",
    }


def machine_client_settings() -> dict:
    return {
        "GenerateSecret": True,
        "AllowedOAuthFlows": ["client_credentials"],
        "AllowedOAuthScopes": list(CUSTOM_SCOPES),
        "AllowedOAuthFlowsUserPoolClient": True,
        "SupportedIdentityProviders": ["COGNITO"],
        "PreventUserExistenceErrors": "ENABLED",
    }


def public_client_settings(app_url: str) -> dict:
    """The browser-only flow's client (/spa): public (no secret), the code grant only, its own callback.
    Cognito has no per-client "PKCE required" switch; the app always sends S256."""
    return {
        "GenerateSecret": False,
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthScopes": list(SCOPES),
        "AllowedOAuthFlowsUserPoolClient": True,
        "CallbackURLs": [app_url + SPA_CALLBACK_PATH],
        "LogoutURLs": [app_url + SIGNED_OUT_PATH],
        "SupportedIdentityProviders": ["COGNITO"],
        "EnableTokenRevocation": True,
        "PreventUserExistenceErrors": "ENABLED",
    }


# The settings setup owns on its app clients: drift in these is repaired, everything else is kept.
UPDATABLE = (
    "AllowedOAuthFlows",
    "AllowedOAuthScopes",
    "AllowedOAuthFlowsUserPoolClient",
    "CallbackURLs",
    "LogoutURLs",
    "SupportedIdentityProviders",
    "EnableTokenRevocation",
    "PreventUserExistenceErrors",
)


def _drift(actual: dict, wanted: dict) -> list[str]:
    """The settings whose value differs (lists compared as sets: AWS does not keep their order)."""

    def same(a, b) -> bool:
        return set(a or []) == set(b) if isinstance(b, list) else a == b

    return [k for k in UPDATABLE if k in wanted and not same(actual.get(k), wanted[k])]


def repair_request(existing: dict, wanted: dict, accepted: set[str]) -> dict:
    """The full UpdateUserPoolClient request: what DescribeUserPoolClient returned, plus our values.

    UpdateUserPoolClient resets every field it is not given to its default (token lifetimes,
    read/write attributes, auth flows, analytics, ...), so the update carries every updatable
    field the client has now; `accepted` is UpdateUserPoolClient's input members.
    """
    update = {k: v for k, v in existing.items() if k in accepted and k not in READ_ONLY_CLIENT_FIELDS}
    update.update({k: wanted[k] for k in UPDATABLE if k in wanted})
    return update


class CognitoSetup:
    """One region's Cognito IDP, through a boto3 client (moto in the tests)."""

    # How long setup waits for a new domain to become ACTIVE (AWS: "up to about a minute").
    domain_poll_seconds = 5.0
    domain_wait_seconds = 90.0

    def __init__(self, client, region: str, say: Callable[[str], None] = print):
        self.idp = client
        self.region = region
        self.say = say

    @overload
    def _call(self, doing: str, method: str, *, missing_ok: Literal[False] = False, **kwargs: Any) -> dict: ...

    @overload
    def _call(self, doing: str, method: str, *, missing_ok: Literal[True], **kwargs: Any) -> dict | None: ...

    def _call(self, doing: str, method: str, *, missing_ok: bool = False, **kwargs: Any) -> dict | None:
        """Call boto3; map its errors to SetupError. With missing_ok, "not found" is None (and only then)."""
        try:
            return getattr(self.idp, method)(**kwargs)
        except Exception as exc:
            if type(exc).__module__.startswith(("botocore", "boto3")):
                code = getattr(exc, "response", {}).get("Error", {}).get("Code")
                if missing_ok and code in ("ResourceNotFoundException", "UserNotFoundException"):
                    return None
                raise explain_aws_error(exc, doing) from None
            raise

    # -- lookups --------------------------------------------------------------------------------
    def find_pool(self, name: str = POOL_NAME) -> str | None:
        token = None
        while True:
            kwargs: dict[str, Any] = {"MaxResults": 60, **({"NextToken": token} if token else {})}
            page = self._call("list user pools", "list_user_pools", **kwargs)
            for pool in page.get("UserPools", []):
                if pool["Name"] == name:
                    return pool["Id"]
            token = page.get("NextToken")
            if not token:
                return None

    def find_client(self, pool_id: str, name: str) -> dict | None:
        token = None
        while True:
            kwargs: dict[str, Any] = {
                "UserPoolId": pool_id,
                "MaxResults": 60,
                **({"NextToken": token} if token else {}),
            }
            page = self._call("list app clients", "list_user_pool_clients", **kwargs)
            for item in page.get("UserPoolClients", []):
                if item["ClientName"] == name:
                    return self._call(
                        "describe an app client",
                        "describe_user_pool_client",
                        UserPoolId=pool_id,
                        ClientId=item["ClientId"],
                    )["UserPoolClient"]
            token = page.get("NextToken")
            if not token:
                return None

    def describe_domain(self, prefix: str) -> dict:
        """DescribeUserPoolDomain's description ({} when nobody has the prefix)."""
        found = self._call("look up the domain", "describe_user_pool_domain", Domain=prefix)
        return found.get("DomainDescription") or {}

    def domain_owner(self, prefix: str) -> str | None:
        return self.describe_domain(prefix).get("UserPoolId") or None

    def find_branding(self, pool_id: str, client_id: str) -> dict | None:
        """The app client's managed login branding style, or None when it has none."""
        found = self._call(
            "look up the managed login branding style",
            "describe_managed_login_branding_by_client",
            missing_ok=True,
            UserPoolId=pool_id,
            ClientId=client_id,
        )
        branding = (found or {}).get("ManagedLoginBranding") or {}
        return branding if branding.get("ManagedLoginBrandingId") else None

    def _update_members(self) -> set[str]:
        """UpdateUserPoolClient's input fields, from botocore's service model."""
        model = self.idp.meta.service_model.operation_model("UpdateUserPoolClient")
        return set(model.input_shape.members)

    # -- setup ----------------------------------------------------------------------------------
    def setup(self, *, app_url: str, domain_prefix: str, test_user: str = "", dry_run: bool = False) -> Outcome:
        check_app_url(app_url)
        check_domain_prefix(domain_prefix)
        out = Outcome()
        try:
            self._setup(out, app_url, domain_prefix, test_user, dry_run)
        except SetupError as exc:
            if out.created:
                made = ", ".join(f"{c['type']} {c['id']}" for c in out.created)
                raise SetupError(
                    f"{exc}\nCreated before the failure: {made}. Run setup again to finish, or "
                    "`flask --app app cognito teardown` to remove them."
                ) from None
            raise
        return out

    def _setup(self, out: Outcome, app_url: str, prefix: str, test_user: str, dry_run: bool) -> None:
        pool_id = self.find_pool()
        if pool_id:
            pool = self._call("describe the user pool", "describe_user_pool", UserPoolId=pool_id)["UserPool"]
            tier = pool.get("UserPoolTier") or "ESSENTIALS"
            if tier == "LITE":
                raise SetupError(
                    f"The user pool {POOL_NAME} ({pool_id}) is on the Lite feature plan, which has no managed "
                    "login. Switch it to Essentials (console: Settings → Feature plan; see the README for the "
                    "cost), or delete it, then run setup again."
                )
            out.actions.append(f"reuse user pool {POOL_NAME} ({pool_id}, feature plan {tier})")
        else:
            out.actions.append(f"create user pool {POOL_NAME} (feature plan {POOL_TIER})")
            if dry_run:
                pool_id = "<new pool>"
            else:
                pool_id = self._call(
                    "create the user pool",
                    "create_user_pool",
                    PoolName=POOL_NAME,
                    AutoVerifiedAttributes=["email"],
                    UsernameConfiguration={"CaseSensitive": False},
                    UserPoolTier=POOL_TIER,
                    UserPoolTags=TAGS,
                )["UserPool"]["Id"]
                out.created.append({"type": "user_pool", "id": pool_id})
        new_pool = pool_id == "<new pool>"

        self._domain(out, pool_id, prefix, dry_run)

        if not new_pool and self._resource_server_exists(pool_id):
            out.actions.append(f"reuse resource server {RESOURCE_SERVER}")
        else:
            out.actions.append(f"create resource server {RESOURCE_SERVER} with scopes read, write")
            if not dry_run:
                self._call(
                    "create the resource server",
                    "create_resource_server",
                    UserPoolId=pool_id,
                    Identifier=RESOURCE_SERVER,
                    Name="Cognito Flow Lab API",
                    Scopes=[{"ScopeName": s, "ScopeDescription": s} for s in ("read", "write")],
                )
                out.created.append({"type": "resource_server", "id": RESOURCE_SERVER, "pool": pool_id})

        web = self._client(out, pool_id, new_pool, WEB_CLIENT, web_client_settings(app_url), dry_run)
        self._branding(out, pool_id, web["ClientId"], dry_run)
        machine = self._client(out, pool_id, new_pool, MACHINE_CLIENT, machine_client_settings(), dry_run)
        public = self._client(out, pool_id, new_pool, PUBLIC_CLIENT, public_client_settings(app_url), dry_run)
        self._branding(out, pool_id, public["ClientId"], dry_run, PUBLIC_CLIENT)  # /spa signs in there too

        if test_user:
            exists = not new_pool and self._user_exists(pool_id, test_user)
            if exists:
                out.actions.append(f"reuse test user {test_user}")
            else:
                out.actions.append(f"create test user {test_user} with a temporary password")
                if not dry_run:
                    out.temporary_password = _password()
                    self._call(
                        "create the test user",
                        "admin_create_user",
                        UserPoolId=pool_id,
                        Username=test_user,
                        TemporaryPassword=out.temporary_password,
                        MessageAction="SUPPRESS",
                    )
                    out.created.append({"type": "user", "id": test_user, "pool": pool_id})
        if not dry_run:
            out.env = {
                "COGNITO_USER_POOL_ID": pool_id,
                "COGNITO_REGION": self.region,
                "COGNITO_DOMAIN": f"{prefix}.auth.{self.region}.amazoncognito.com",
                "OAUTH_CLIENT_ID": web["ClientId"],
                "OAUTH_CLIENT_SECRET": web["ClientSecret"],
                "M2M_CLIENT_ID": machine["ClientId"],
                "M2M_CLIENT_SECRET": machine["ClientSecret"],
                "OAUTH_PUBLIC_CLIENT_ID": public["ClientId"],
                "OAUTH_RESOURCE_SCOPES": " ".join(CUSTOM_SCOPES),
                "APP_URL": app_url,
            }

    def _domain(self, out: Outcome, pool_id: str, prefix: str, dry_run: bool) -> None:
        found = self.describe_domain(prefix)
        owner = found.get("UserPoolId")
        if owner and owner != pool_id:
            raise SetupError(_prefix_taken(prefix, owner))
        if owner:
            version = found.get("ManagedLoginVersion")
            shown = {1: "classic hosted UI", 2: "managed login"}.get(version or 0, "managed login")
            out.login_pages = f"{shown} (version {version or '?'})"
            out.actions.append(f"reuse domain {prefix} ({shown})")
            if not dry_run and found.get("Status") not in (None, "ACTIVE"):
                self.wait_for_domain(prefix)
            return
        out.actions.append(f"create domain {prefix} with managed login (ManagedLoginVersion {MANAGED_LOGIN_VERSION})")
        if dry_run:
            return
        try:
            self._call(
                "create the domain",
                "create_user_pool_domain",
                Domain=prefix,
                UserPoolId=pool_id,
                ManagedLoginVersion=MANAGED_LOGIN_VERSION,
            )
        except SetupError as exc:
            text = str(exc).lower()
            if "already associated" in text or "already exists" in text or "taken" in text:
                raise SetupError(_prefix_taken(prefix)) from None
            raise
        out.created.append({"type": "domain", "id": prefix, "pool": pool_id})
        self.wait_for_domain(prefix)

    def wait_for_domain(self, prefix: str) -> bool:
        """Poll DescribeUserPoolDomain until the domain is ACTIVE; False when the time limit passed."""
        deadline = time.monotonic() + self.domain_wait_seconds
        status = ""
        while True:
            status = self.describe_domain(prefix).get("Status") or "ACTIVE"
            if status == "ACTIVE":
                self.say(f"Domain {prefix} is ACTIVE.")
                return True
            if status == "FAILED":
                raise SetupError(
                    f"AWS reports the domain {prefix} as FAILED. Delete it (console: App integration → Domain, or "
                    "`flask --app app cognito teardown`) and run setup again, perhaps with another --domain-prefix."
                )
            if time.monotonic() >= deadline:
                self.say(
                    f"Domain {prefix} is still {status} after {self.domain_wait_seconds:.0f} s. That is normal for a "
                    "new domain: it may take a minute more before the sign-in page answers. Setup goes on."
                )
                return False
            self.say(f"Waiting for domain {prefix} to become ACTIVE (now {status})…")
            time.sleep(self.domain_poll_seconds)

    def _branding(self, out: Outcome, pool_id: str, client_id: str, dry_run: bool, name: str = WEB_CLIENT) -> None:
        """Managed login pages are unavailable to an app client until it has a branding style."""
        just_created = client_id.startswith("<") or any(c["id"] == client_id for c in out.created)
        if not just_created and self.find_branding(pool_id, client_id):
            out.actions.append(f"reuse managed login branding style of {name}")
            return
        out.actions.append(f"create managed login branding style for {name} (Cognito's default look)")
        if dry_run:
            return
        branding = self._call(
            "create the managed login branding style",
            "create_managed_login_branding",
            UserPoolId=pool_id,
            ClientId=client_id,
            UseCognitoProvidedValues=True,
        )["ManagedLoginBranding"]
        out.created.append({"type": "branding", "id": branding["ManagedLoginBrandingId"], "pool": pool_id})

    def _resource_server_exists(self, pool_id: str) -> bool:
        page = self._call("list resource servers", "list_resource_servers", UserPoolId=pool_id, MaxResults=50)
        return any(r["Identifier"] == RESOURCE_SERVER for r in page.get("ResourceServers", []))

    def _user_exists(self, pool_id: str, username: str) -> bool:
        found = self._call(
            "look up the test user",
            "admin_get_user",
            missing_ok=True,
            UserPoolId=pool_id,
            Username=username,
        )
        return found is not None

    def _client(self, out: Outcome, pool_id: str, new_pool: bool, name: str, wanted: dict, dry_run: bool) -> dict:
        existing = None if new_pool else self.find_client(pool_id, name)
        if existing is None:
            out.actions.append(f"create app client {name}")
            if dry_run:
                return {"ClientId": "<new>", "ClientSecret": ""}
            created = self._call(
                f"create app client {name}", "create_user_pool_client", UserPoolId=pool_id, ClientName=name, **wanted
            )["UserPoolClient"]
            out.created.append({"type": "client", "id": created["ClientId"], "name": name, "pool": pool_id})
            return created
        drift = _drift(existing, wanted)
        if wanted.get("GenerateSecret") and not existing.get("ClientSecret"):
            raise SetupError(
                f"App client {name} ({existing['ClientId']}) exists without a secret, and a secret cannot be added "
                "later. Delete it in the console (or with teardown, if setup created it) and run setup again."
            )
        if not wanted.get("GenerateSecret") and existing.get("ClientSecret"):
            raise SetupError(
                f"App client {name} ({existing['ClientId']}) has a secret, but the browser-only flow needs a public "
                "client, and a secret cannot be removed. Delete it in the console (or with teardown, if setup "
                "created it) and run setup again."
            )
        if drift:
            out.actions.append(f"update app client {name}: {', '.join(drift)} (its other settings kept)")
            if not dry_run:
                self._call(
                    f"update app client {name}",
                    "update_user_pool_client",
                    **repair_request(existing, wanted, self._update_members()),
                )
        else:
            out.actions.append(f"reuse app client {name}")
        return existing

    # -- inspect --------------------------------------------------------------------------------
    def inspect(self, *, pool_id: str, client_id: str, app_url: str) -> list[tuple[str, str, str]]:
        """(status, finding, fix) for every setting that would break this app."""
        findings: list[tuple[str, str, str]] = []

        def check(ok: bool, text: str, fix: str, severity: str = "fail") -> None:
            findings.append(("pass", text, "") if ok else (severity, text, fix))

        pool = self._call("describe the user pool", "describe_user_pool", UserPoolId=pool_id)["UserPool"]
        tier = pool.get("UserPoolTier") or "ESSENTIALS"
        check(
            tier != "LITE",
            f"feature plan: {tier}"
            + (" (managed login is available)" if tier != "LITE" else " (no managed login: classic hosted UI only)"),
            "Switch the pool to Essentials (console: Settings → Feature plan) to use managed login; see the README "
            "for the cost.",
            "warn",
        )
        domain = pool.get("CustomDomain") or pool.get("Domain")
        check(
            bool(domain),
            f"domain: {domain}" if domain else "the user pool has no domain, so the hosted UI endpoints do not exist",
            "Add a domain (App integration → Domain), or run `flask --app app cognito setup`.",
        )
        if domain:
            found = self.describe_domain(domain)
            version = found.get("ManagedLoginVersion")
            status = found.get("Status") or "ACTIVE"
            check(
                status == "ACTIVE",
                f"domain status: {status}",
                "A new domain takes about a minute to become ACTIVE; wait and run inspect again.",
                "warn",
            )
            label = {1: "1 (classic hosted UI)", 2: "2 (managed login)"}.get(version or 0, str(version))
            findings.append(("info", f"domain managed login version: {label}", ""))
        client = self._call(
            "describe the app client", "describe_user_pool_client", UserPoolId=pool_id, ClientId=client_id
        )["UserPoolClient"]
        branded = self.find_branding(pool_id, client_id) is not None
        check(
            branded,
            f"the app client has {'a' if branded else 'no'} managed login branding style",
            "Without a style the sign-in page shows 'Login pages unavailable'. Create one (console: Branding → "
            "Managed login → Create a style, with Cognito's defaults) or run `flask --app app cognito setup`.",
        )
        callbacks = client.get("CallbackURLs") or []
        for uri, severity in ((app_url + CALLBACK_PATH, "fail"), (app_url + IMPLICIT_CALLBACK_PATH, "warn")):
            allowed = uri in callbacks
            check(
                allowed,
                f"callback URL {uri} is {'' if allowed else 'not '}allowed",
                f"Add {uri} to the app client's allowed callback URLs, exactly.",
                severity,
            )
        logout = app_url + SIGNED_OUT_PATH
        allowed = logout in (client.get("LogoutURLs") or [])
        check(
            allowed,
            f"sign-out URL {logout} is {'' if allowed else 'not '}allowed",
            f"Add {logout} to the allowed sign-out URLs, or sign-out ends on a Cognito error page.",
            "warn",
        )
        flows = client.get("AllowedOAuthFlows") or []
        check(
            "code" in flows,
            f"authorization code grant is {'on' if 'code' in flows else 'off'}",
            "Enable the Authorization code grant on the app client.",
        )
        check(
            "implicit" in flows,
            f"implicit grant is {'on' if 'implicit' in flows else 'off'}",
            "Enable the Implicit grant to try the implicit page (a legacy flow, for comparison).",
            "warn",
        )
        check(
            bool(client.get("AllowedOAuthFlowsUserPoolClient")),
            "OAuth 2.0 grants are enabled on the client",
            "Enable OAuth 2.0 grants on the app client.",
        )
        scopes = client.get("AllowedOAuthScopes") or []
        missing = [s for s in SCOPES if s not in scopes]
        check(not missing, f"scopes: {' '.join(scopes) or '(none)'}", f"Enable the scopes {' '.join(missing)}.")
        hides = client.get("PreventUserExistenceErrors") == "ENABLED"
        check(
            hides,
            f"the sign-in pages {'do not reveal' if hides else 'may reveal'} whether a user exists "
            f"(PreventUserExistenceErrors={client.get('PreventUserExistenceErrors') or 'LEGACY'})",
            "Turn on 'Prevent user existence errors' on the app client (PreventUserExistenceErrors=ENABLED).",
            "warn",
        )
        check(
            bool(client.get("ClientSecret")),
            "the app client has a secret",
            "Create a confidential app client with a secret (a secret cannot be added later).",
        )
        return findings

    # -- teardown -------------------------------------------------------------------------------
    def _delete(self, item: dict) -> bool:
        """Delete one thing setup created (not the pool); False when there was nothing of ours to delete."""
        kind = item["type"]
        if kind == "domain":
            if self.domain_owner(item["id"]) != item["pool"]:
                return False  # already deleted (or now someone else's): nothing of ours to remove
            self._call("delete the domain", "delete_user_pool_domain", Domain=item["id"], UserPoolId=item["pool"])
        elif kind == "branding":
            deleted = self._call(
                "delete the managed login branding style",
                "delete_managed_login_branding",
                missing_ok=True,
                ManagedLoginBrandingId=item["id"],
                UserPoolId=item["pool"],
            )
            return deleted is not None
        elif kind == "client":
            self._call("delete an app client", "delete_user_pool_client", UserPoolId=item["pool"], ClientId=item["id"])
        elif kind == "resource_server":
            self._call(
                "delete the resource server", "delete_resource_server", UserPoolId=item["pool"], Identifier=item["id"]
            )
        elif kind == "user":
            self._call("delete the test user", "admin_delete_user", UserPoolId=item["pool"], Username=item["id"])
        return True

    def teardown(self, created: list[dict]) -> list[str]:
        """Delete what setup created, newest first; the pool last (it takes the rest with it).

        AWS refuses to delete a pool that still has a domain, so every domain on it goes first,
        also one added by hand in the console.
        """
        done = []
        pool = next((c for c in created if c["type"] == "user_pool"), None)
        gone_domains: set[str] = set()
        for item in reversed(created):
            kind = item["type"]
            if kind == "user_pool":
                continue
            if pool and item.get("pool") == pool["id"] and kind in ("client", "resource_server", "user"):
                continue  # deleted with the pool
            if not self._delete(item):
                continue
            if kind == "domain":
                gone_domains.add(item["id"])
            done.append(f"deleted {kind.replace('_', ' ')} {item['id']}")
        if pool:
            found = self._call("describe the user pool", "describe_user_pool", missing_ok=True, UserPoolId=pool["id"])
            if found is None:
                done.append(f"user pool {pool['id']} was already deleted")
                return done
            described = found["UserPool"]
            for domain in (described.get("CustomDomain"), described.get("Domain")):
                if domain and domain not in gone_domains:
                    self._call("delete the domain", "delete_user_pool_domain", Domain=domain, UserPoolId=pool["id"])
                    done.append(f"deleted domain {domain} (found on the pool)")
            self._call("delete the user pool", "delete_user_pool", UserPoolId=pool["id"])
            done.append(f"deleted user pool {pool['id']} (with its clients, resource server and users)")
        return done


def load_state(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {"created": []}


def save_state(path: Path, region: str, created: list[dict]) -> None:
    state = load_state(path)
    known = {(c["type"], c["id"]) for c in state["created"]}
    state["region"] = region
    state["created"] += [c for c in created if (c["type"], c["id"]) not in known]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state, indent=2))
