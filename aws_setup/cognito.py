"""Create, inspect and tear down the Cognito resources this app needs, with boto3.

Idempotent: each resource is found by name first and created only when missing; app clients
that drift from the desired settings are updated. What `setup` created (as opposed to found) is
recorded in `instance/cognito-setup.json`, so `teardown` deletes only that.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

POOL_NAME = "cognito-flow-lab"
WEB_CLIENT = "cognito-flow-lab-web"
MACHINE_CLIENT = "cognito-flow-lab-machine"
RESOURCE_SERVER = "flowlab-api"
SCOPES = ["openid", "email", "profile"]
CUSTOM_SCOPES = [f"{RESOURCE_SERVER}/read", f"{RESOURCE_SERVER}/write"]
TAGS = {"created-by": "cognito-flow-lab"}


class SetupError(Exception):
    """A clear, actionable failure (no credentials, access denied, domain taken, ...)."""


@dataclass
class Outcome:
    """What a run did: actions taken (or planned), resources created, values for .env."""

    actions: list[str] = field(default_factory=list)
    created: list[dict] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    temporary_password: str = ""

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
            f"AWS denied the request to {doing} ({code}). Your identity needs the cognito-idp permissions "
            "CreateUserPool, CreateUserPoolDomain, CreateUserPoolClient, CreateResourceServer and the matching "
            "Describe/List/Update/Delete actions."
        )
    if code in ("InvalidParameterException", "ResourceNotFoundException", "LimitExceededException"):
        return SetupError(f"AWS refused to {doing}: {code}: {message}")
    return SetupError(f"AWS failed to {doing}: {code}: {message}")


def _password() -> str:
    alphabet = string.ascii_letters + string.digits
    core = "".join(secrets.choice(alphabet) for _ in range(14))
    return f"Fl0w-{core}!"


def web_client_settings(app_url: str) -> dict:
    return {
        "GenerateSecret": True,
        "AllowedOAuthFlows": ["code", "implicit"],
        "AllowedOAuthScopes": list(SCOPES),
        "AllowedOAuthFlowsUserPoolClient": True,
        "CallbackURLs": [f"{app_url}/callback", f"{app_url}/implicit/callback"],
        "LogoutURLs": [f"{app_url}/signed-out"],
        "SupportedIdentityProviders": ["COGNITO"],
        "EnableTokenRevocation": True,
    }


def machine_client_settings() -> dict:
    return {
        "GenerateSecret": True,
        "AllowedOAuthFlows": ["client_credentials"],
        "AllowedOAuthScopes": list(CUSTOM_SCOPES),
        "AllowedOAuthFlowsUserPoolClient": True,
        "SupportedIdentityProviders": ["COGNITO"],
    }


UPDATABLE = (
    "AllowedOAuthFlows",
    "AllowedOAuthScopes",
    "AllowedOAuthFlowsUserPoolClient",
    "CallbackURLs",
    "LogoutURLs",
    "SupportedIdentityProviders",
)


def _drift(actual: dict, wanted: dict) -> list[str]:
    """The settings whose value differs (lists compared as sets: AWS does not keep their order)."""

    def same(a, b) -> bool:
        return set(a or []) == set(b) if isinstance(b, list) else a == b

    return [k for k in UPDATABLE if k in wanted and not same(actual.get(k), wanted[k])]


class CognitoSetup:
    """One region's Cognito IDP, through a boto3 client (moto in the tests)."""

    def __init__(self, client, region: str, say: Callable[[str], None] = print):
        self.idp = client
        self.region = region
        self.say = say

    def _call(self, doing: str, method: str, **kwargs) -> dict:
        try:
            return getattr(self.idp, method)(**kwargs)
        except Exception as exc:
            if type(exc).__module__.startswith(("botocore", "boto3")):
                raise explain_aws_error(exc, doing) from None
            raise

    # -- lookups --------------------------------------------------------------------------------
    def find_pool(self, name: str = POOL_NAME) -> str | None:
        token = None
        while True:
            kwargs = {"MaxResults": 60, **({"NextToken": token} if token else {})}
            page = self._call("list user pools", "list_user_pools", **kwargs)
            for pool in page.get("UserPools", []):
                if pool["Name"] == name:
                    return pool["Id"]
            token = page.get("NextToken")
            if not token:
                return None

    def find_client(self, pool_id: str, name: str) -> dict | None:
        page = self._call("list app clients", "list_user_pool_clients", UserPoolId=pool_id, MaxResults=60)
        for item in page.get("UserPoolClients", []):
            if item["ClientName"] == name:
                return self._call(
                    "describe an app client", "describe_user_pool_client", UserPoolId=pool_id, ClientId=item["ClientId"]
                )["UserPoolClient"]
        return None

    def domain_owner(self, prefix: str) -> str | None:
        found = self._call("look up the domain", "describe_user_pool_domain", Domain=prefix)
        return (found.get("DomainDescription") or {}).get("UserPoolId") or None

    # -- setup ----------------------------------------------------------------------------------
    def setup(self, *, app_url: str, domain_prefix: str, test_user: str = "", dry_run: bool = False) -> Outcome:
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
            out.actions.append(f"reuse user pool {POOL_NAME} ({pool_id})")
        else:
            out.actions.append(f"create user pool {POOL_NAME}")
            if dry_run:
                pool_id = "<new pool>"
            else:
                pool_id = self._call(
                    "create the user pool",
                    "create_user_pool",
                    PoolName=POOL_NAME,
                    AutoVerifiedAttributes=["email"],
                    UsernameConfiguration={"CaseSensitive": False},
                    UserPoolTags=TAGS,
                )["UserPool"]["Id"]
                out.created.append({"type": "user_pool", "id": pool_id})
        new_pool = pool_id == "<new pool>"

        owner = self.domain_owner(prefix)
        if owner and owner != pool_id:
            raise SetupError(
                f"The domain prefix {prefix!r} is already taken by another user pool ({owner}). "
                "Domain prefixes are unique per region across all AWS accounts: choose another --domain-prefix."
            )
        if owner:
            out.actions.append(f"reuse domain {prefix}")
        else:
            out.actions.append(f"create domain {prefix}")
            if not dry_run:
                try:
                    self._call("create the domain", "create_user_pool_domain", Domain=prefix, UserPoolId=pool_id)
                except SetupError as exc:
                    if "exist" in str(exc).lower() or "taken" in str(exc).lower():
                        raise SetupError(
                            f"The domain prefix {prefix!r} is already taken: choose another --domain-prefix."
                        ) from None
                    raise
                out.created.append({"type": "domain", "id": prefix, "pool": pool_id})

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
        machine = self._client(out, pool_id, new_pool, MACHINE_CLIENT, machine_client_settings(), dry_run)

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
                "APP_URL": app_url,
            }

    def _resource_server_exists(self, pool_id: str) -> bool:
        page = self._call("list resource servers", "list_resource_servers", UserPoolId=pool_id, MaxResults=50)
        return any(r["Identifier"] == RESOURCE_SERVER for r in page.get("ResourceServers", []))

    def _user_exists(self, pool_id: str, username: str) -> bool:
        try:
            self.idp.admin_get_user(UserPoolId=pool_id, Username=username)
        except Exception as exc:
            if getattr(exc, "response", {}).get("Error", {}).get("Code") == "UserNotFoundException":
                return False
            raise explain_aws_error(exc, "look up the test user") from None
        return True

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
        if not existing.get("ClientSecret"):
            raise SetupError(
                f"App client {name} ({existing['ClientId']}) exists without a secret, and a secret cannot be added "
                "later. Delete it in the console (or with teardown, if setup created it) and run setup again."
            )
        if drift:
            out.actions.append(f"update app client {name}: {', '.join(drift)}")
            if not dry_run:
                update = {k: wanted[k] for k in UPDATABLE if k in wanted}
                self._call(
                    f"update app client {name}",
                    "update_user_pool_client",
                    UserPoolId=pool_id,
                    ClientId=existing["ClientId"],
                    ClientName=name,
                    **update,
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
        domain = pool.get("CustomDomain") or pool.get("Domain")
        check(
            bool(domain),
            f"domain: {domain}" if domain else "the user pool has no domain, so the hosted UI endpoints do not exist",
            "Add a domain (App integration → Domain), or run `flask --app app cognito setup`.",
        )
        client = self._call(
            "describe the app client", "describe_user_pool_client", UserPoolId=pool_id, ClientId=client_id
        )["UserPoolClient"]
        callbacks = client.get("CallbackURLs") or []
        for uri, severity in ((f"{app_url}/callback", "fail"), (f"{app_url}/implicit/callback", "warn")):
            allowed = uri in callbacks
            check(
                allowed,
                f"callback URL {uri} is {'' if allowed else 'not '}allowed",
                f"Add {uri} to the app client's allowed callback URLs, exactly.",
                severity,
            )
        logout = f"{app_url}/signed-out"
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
        check(
            bool(client.get("ClientSecret")),
            "the app client has a secret",
            "Create a confidential app client with a secret (a secret cannot be added later).",
        )
        return findings

    # -- teardown -------------------------------------------------------------------------------
    def teardown(self, created: list[dict]) -> list[str]:
        """Delete what setup created, newest first; the pool last (it takes the rest with it)."""
        done = []
        pool = next((c for c in created if c["type"] == "user_pool"), None)
        for item in reversed(created):
            kind = item["type"]
            if kind == "user_pool":
                continue
            if pool and item.get("pool") == pool["id"] and kind in ("client", "resource_server", "user"):
                continue  # deleted with the pool
            if kind == "domain":
                self._call("delete the domain", "delete_user_pool_domain", Domain=item["id"], UserPoolId=item["pool"])
            elif kind == "client":
                self._call(
                    "delete an app client", "delete_user_pool_client", UserPoolId=item["pool"], ClientId=item["id"]
                )
            elif kind == "resource_server":
                self._call(
                    "delete the resource server",
                    "delete_resource_server",
                    UserPoolId=item["pool"],
                    Identifier=item["id"],
                )
            elif kind == "user":
                self._call("delete the test user", "admin_delete_user", UserPoolId=item["pool"], Username=item["id"])
            done.append(f"deleted {kind.replace('_', ' ')} {item['id']}")
        if pool:
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
