"""Create the Cognito resources this app needs, with boto3 (inspect.py checks them, teardown.py removes them).

Idempotent: each resource is found by name first and created only when missing; app clients
that lack what the app needs get it added. What `setup` created (as opposed to found) is recorded
in `instance/cognito-setup.json` the moment it exists (ledger.py), so `teardown` deletes only that,
also after a run that failed halfway.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lab.pool_rules import rule

from .api import IAM_ACTIONS, CognitoApi, SetupError, Unsupported, explain_aws_error
from .clients import (
    CUSTOM_SCOPES,
    REFRESH_TOKEN_AUTH,
    RESOURCE_SERVER,
    drift,
    has_secret,
    machine_client_settings,
    public_client_settings,
    repair_request,
    rotation_grace,
    web_client_settings,
)

__all__ = ["IAM_ACTIONS", "CognitoSetup", "Outcome", "SetupError", "check_app_url", "explain_aws_error"]

POOL_NAME = "cognito-flow-lab"
WEB_CLIENT = "cognito-flow-lab-web"
MACHINE_CLIENT = "cognito-flow-lab-machine"
PUBLIC_CLIENT = "cognito-flow-lab-spa"
TAGS = {"created-by": "cognito-flow-lab"}
# New pools are created on the Essentials feature plan explicitly: managed login needs Essentials
# or Plus (Lite has only the classic hosted UI). docs/cognito-pool.md says what that costs.
POOL_TIER = "ESSENTIALS"
# IssuerConfiguration.Type for a new pool (botocore's model: ORIGINAL | UPDATED). AWS recommends
# UPDATED, https://issuer-cognito-idp.{region}.amazonaws.com/{pool}; ORIGINAL is what pools that
# predate the setting have. Neither AWS's pages nor the model name the default, so setup sends one.
ISSUER_TYPES = ("UPDATED", "ORIGINAL")
# 2 = managed login (the current sign-in pages); 1 = the classic hosted UI.
MANAGED_LOGIN_VERSION = 2
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
# CreateUserPoolDomain's own pattern for a prefix, and the words AWS reserves in one.
PREFIX = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
RESERVED_IN_PREFIX = ("aws", "amazon", "cognito")
SECRETS_MANAGER_HOW = "aws secretsmanager get-secret-value --secret-id {arn} --query SecretString --output text"


@dataclass
class Outcome:
    """What a run did: actions taken (or planned), resources created, values for .env, what to tell the user."""

    actions: list[str] = field(default_factory=list)
    created: list[dict] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    temporary_password: str = ""
    permanent_password: bool = False
    issuer_type: str = ""
    login_pages: str = f"managed login (version {MANAGED_LOGIN_VERSION})"
    rotation_grace: int | None = None  # the web client's RetryGracePeriodSeconds when it rotates, else None

    @property
    def changed(self) -> bool:
        return any(not a.startswith("reuse") for a in self.actions)


def _prefix_taken(prefix: str, owner: str = "") -> str:
    by = f" by another user pool ({owner})" if owner else ""
    return (
        f"The domain prefix {prefix!r} is already taken{by}. Domain prefixes are unique per region across "
        "all AWS accounts: choose another --domain-prefix."
    )


def _one_domain(pool_id: str, existing: str, prefix: str) -> str:
    """A user pool has one prefix domain: a second CreateUserPoolDomain fails ("User pool already has a
    domain configured"); AWS says to change a domain, delete it and create another (UpdateUserPoolDomain)."""
    return (
        f"The user pool {POOL_NAME} ({pool_id}) already has the domain prefix {existing!r}, and a user pool has "
        f"only one: Cognito would refuse {prefix!r}. Run setup again with --domain-prefix {existing} to keep it. "
        "To use another prefix, delete the domain first (console: App integration → Domain → Delete), then run "
        "setup with the new prefix."
    )


def _changes(missing: list[str], wanted: dict) -> str:
    """What an update of a drifted client does, in words: settings put back, rotation turned on."""
    rotation = ("RefreshTokenRotation", "ExplicitAuthFlows")
    put_back = [k for k in missing if k not in rotation]
    parts = [f"add back {', '.join(put_back)}"] if put_back else []
    if "RefreshTokenRotation" in missing:
        grace = wanted["RefreshTokenRotation"]["RetryGracePeriodSeconds"]
        parts.append(f"turn on refresh-token rotation (RefreshTokenRotation, grace {grace} s)")
    if "ExplicitAuthFlows" in missing:
        parts.append(f"take {REFRESH_TOKEN_AUTH} out of ExplicitAuthFlows (AWS: incompatible with rotation)")
    return "; ".join(parts)


def _need(name: str) -> str:
    """lab/pool_rules.py's rule `name` as a clause: what the app needs, which setup could not give."""
    need = rule(name).need
    return need[:1].lower() + need[1:].rstrip(".")


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


@dataclass
class Request:
    """One setup run's choices."""

    app_url: str
    domain_prefix: str
    test_user: str = ""
    permanent_password: bool = False
    issuer_type: str = "UPDATED"
    dry_run: bool = False
    endpoint: str = ""  # boto3's endpoint override (an emulator): COGNITO_DOMAIN is then that URL
    refresh_token_rotation: int | None = None  # turn rotation on for the web client with this grace (0-60 s)


class CognitoSetup(CognitoApi):
    """Setup for one region. `record` is told of each resource the moment it is created; `owned` says
    whether an earlier run of this app created a resource (from the ledger)."""

    def __init__(
        self,
        client,
        region: str,
        say: Callable[[str], None] = print,
        record: Callable[[dict], None] | None = None,
        owned: Callable[[str, str], bool] | None = None,
    ):
        super().__init__(client, region, say)
        self.record = record or (lambda item: None)
        self.owned = owned or (lambda kind, resource_id: False)

    def _created(self, out: Outcome, item: dict) -> None:
        out.created.append(item)
        self.record(item)

    def setup(
        self,
        *,
        app_url: str,
        domain_prefix: str,
        test_user: str = "",
        dry_run: bool = False,
        permanent_password: bool = False,
        issuer_type: str = "UPDATED",
        endpoint: str = "",
        refresh_token_rotation: int | None = None,
    ) -> Outcome:
        check_app_url(app_url)
        check_domain_prefix(domain_prefix)
        if issuer_type not in ISSUER_TYPES:
            raise SetupError(f"--issuer-type {issuer_type!r} must be UPDATED or ORIGINAL.")
        if refresh_token_rotation is not None and not 0 <= refresh_token_rotation <= 60:
            raise SetupError(
                f"--refresh-token-rotation {refresh_token_rotation} must be a grace of 0 to 60 seconds "
                "(Cognito's RetryGracePeriodSeconds)."
            )
        run = Request(
            app_url,
            domain_prefix,
            test_user,
            permanent_password,
            issuer_type,
            dry_run,
            endpoint,
            refresh_token_rotation,
        )
        out = Outcome()
        try:
            self._setup(out, run)
        except SetupError as exc:
            if out.created:
                made = ", ".join(f"{c['type']} {c['id']}" for c in out.created)
                raise SetupError(
                    f"{exc}\nCreated before the failure: {made} (already recorded in the setup state). Run setup "
                    "again to finish, or `flask --app app cognito teardown` to remove them."
                ) from None
            raise
        return out

    def _setup(self, out: Outcome, run: Request) -> None:
        pool_id, pool = self._pool(out, run)
        new_pool = pool_id == "<new pool>"
        self._domain(out, pool_id, pool, run)
        if not new_pool and self._resource_server_exists(pool_id):
            out.actions.append(f"reuse resource server {RESOURCE_SERVER}")
        else:
            out.actions.append(f"create resource server {RESOURCE_SERVER} with scopes read, write")
            if not run.dry_run:
                self._call(
                    "create the resource server",
                    "create_resource_server",
                    UserPoolId=pool_id,
                    Identifier=RESOURCE_SERVER,
                    Name="Cognito Flow Lab API",
                    Scopes=[{"ScopeName": s, "ScopeDescription": s} for s in ("read", "write")],
                )
                self._created(out, {"type": "resource_server", "id": RESOURCE_SERVER, "pool": pool_id})

        wanted_web = web_client_settings(run.app_url, run.refresh_token_rotation)
        web = self._client(out, pool_id, new_pool, WEB_CLIENT, wanted_web, run.dry_run)
        # the rotation the web client has after this run: the one asked for, else its own
        out.rotation_grace = rotation_grace(wanted_web if run.refresh_token_rotation is not None else web)
        self._branding(out, pool_id, web["ClientId"], run.dry_run)
        machine = self._client(out, pool_id, new_pool, MACHINE_CLIENT, machine_client_settings(), run.dry_run)
        public = self._client(out, pool_id, new_pool, PUBLIC_CLIENT, public_client_settings(run.app_url), run.dry_run)
        self._branding(out, pool_id, public["ClientId"], run.dry_run, PUBLIC_CLIENT)  # /spa signs in there too
        if run.test_user:
            self._test_user(out, pool_id, new_pool, run)
        if not run.dry_run:
            out.env = self._env(out, run, pool_id, web, machine, public)

    def _env(self, out: Outcome, run: Request, pool_id: str, web: dict, machine: dict, public: dict) -> dict[str, str]:
        env = {
            "COGNITO_USER_POOL_ID": pool_id,
            "COGNITO_REGION": self.region,
            "COGNITO_ISSUER_TYPE": out.issuer_type,
            "COGNITO_DOMAIN": run.endpoint or f"{run.domain_prefix}.auth.{self.region}.amazoncognito.com",
            "OAUTH_CLIENT_ID": web["ClientId"],
            "M2M_CLIENT_ID": machine["ClientId"],
            "OAUTH_PUBLIC_CLIENT_ID": public["ClientId"],
            "OAUTH_RESOURCE_SCOPES": " ".join(CUSTOM_SCOPES),
            # /machine's "Call the API" sends the machine client's token to /api/me: let the API take it.
            "API_ALLOWED_CLIENT_IDS": machine["ClientId"],
            "APP_URL": run.app_url,
            # the grace the app waits out before it replays a rotated-out refresh token ("" : no rotation)
            "REFRESH_TOKEN_GRACE_SECONDS": "" if out.rotation_grace is None else str(out.rotation_grace),
        }
        if run.endpoint:
            env["AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"] = run.endpoint  # boto3's name; the app's discovery
        for key, client, name in (
            ("OAUTH_CLIENT_SECRET", web, WEB_CLIENT),
            ("M2M_CLIENT_SECRET", machine, MACHINE_CLIENT),
        ):
            if client.get("ClientSecret"):
                env[key] = client["ClientSecret"]
            elif client.get("ClientSecretArn"):
                out.warnings.append(
                    f"The secret of {name} is kept in AWS Secrets Manager ({client['ClientSecretArn']}), so setup "
                    f"cannot read it: put its clientSecretValue in {key} yourself, e.g. "
                    + SECRETS_MANAGER_HOW.format(arn=client["ClientSecretArn"])
                )
        return env

    # -- the pool -------------------------------------------------------------------------------
    def _pool(self, out: Outcome, run: Request) -> tuple[str, dict]:
        pool_id = self.find_pool(POOL_NAME)
        if not pool_id:
            out.actions.append(
                f"create user pool {POOL_NAME} (feature plan {POOL_TIER}, issuer {run.issuer_type.lower()})"
            )
            if run.dry_run:
                out.issuer_type = run.issuer_type
                return "<new pool>", {}
            pool_id = self._call(
                "create the user pool",
                "create_user_pool",
                PoolName=POOL_NAME,
                AutoVerifiedAttributes=["email"],
                UsernameConfiguration={"CaseSensitive": False},
                UserPoolTier=POOL_TIER,
                IssuerConfiguration={"Type": run.issuer_type},
                UserPoolTags=TAGS,
            )["UserPool"]["Id"]
            self._created(out, {"type": "user_pool", "id": pool_id})
            pool = self.describe_pool(pool_id)
            self._read_issuer(out, pool, asked=run.issuer_type)
            return pool_id, pool
        pool = self.describe_pool(pool_id)
        tier = pool.get("UserPoolTier") or "ESSENTIALS"
        if tier == "LITE":
            raise SetupError(
                f"The user pool {POOL_NAME} ({pool_id}) is on the Lite feature plan, which has no managed "
                f"login. {rule('feature_plan').fix} Or delete it. Then run setup again."
            )
        ours = self.owned("user_pool", pool_id)
        if not ours and (pool.get("UserPoolTags") or {}).get("created-by") == TAGS["created-by"] and not run.dry_run:
            self._created(out, {"type": "user_pool", "id": pool_id})  # made by this app (another checkout)
            ours = True
        whose = "created by this app: teardown deletes it" if ours else "not created by this app: teardown keeps it"
        self._read_issuer(out, pool)
        out.actions.append(
            f"reuse user pool {POOL_NAME} ({pool_id}, feature plan {tier}, issuer {out.issuer_type.lower()}; {whose})"
        )
        return pool_id, pool

    @staticmethod
    def _read_issuer(out: Outcome, pool: dict, asked: str = "") -> None:
        """The issuer form the pool really has: its IssuerConfiguration, ORIGINAL when it reports none
        (pools that predate the setting; an emulator such as MiniStack ignores it and signs with ORIGINAL)."""
        out.issuer_type = ((pool.get("IssuerConfiguration") or {}).get("Type") or "ORIGINAL").upper()
        if asked and out.issuer_type != asked:
            out.warnings.append(
                f"Setup asked for the {asked} issuer, but the pool reports {out.issuer_type} (the endpoint ignored "
                f"IssuerConfiguration): .env says COGNITO_ISSUER_TYPE={out.issuer_type}, what its tokens carry."
            )

    # -- the domain -----------------------------------------------------------------------------
    def _domain(self, out: Outcome, pool_id: str, pool: dict, run: Request) -> None:
        prefix = run.domain_prefix
        existing = pool.get("Domain")
        if existing and existing != prefix:
            raise SetupError(_one_domain(pool_id, existing, prefix))
        found = self.describe_domain(prefix)
        owner = found.get("UserPoolId")
        if owner and owner != pool_id:
            raise SetupError(_prefix_taken(prefix, owner))
        if owner:
            version = found.get("ManagedLoginVersion")
            shown = {1: "classic hosted UI", 2: "managed login"}.get(version or 0, "managed login")
            out.login_pages = f"{shown} (version {version or '?'})"
            out.actions.append(f"reuse domain {prefix} ({shown})")
            if not run.dry_run and found.get("Status") not in (None, "ACTIVE"):
                self._wait_active(prefix)
            return
        out.actions.append(f"create domain {prefix} with managed login (ManagedLoginVersion {MANAGED_LOGIN_VERSION})")
        if run.dry_run:
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
            if "already has a domain" in text:
                raise SetupError(_one_domain(pool_id, "(another)", prefix)) from None
            if "already associated" in text or "already exists" in text or "taken" in text:
                raise SetupError(_prefix_taken(prefix)) from None
            raise
        self._created(out, {"type": "domain", "id": prefix, "pool": pool_id})
        self._wait_active(prefix)

    def _wait_active(self, prefix: str) -> None:
        status = self.wait_for_domain(prefix)
        if status != "ACTIVE":
            self.say(
                f"Domain {prefix} is still {status} after {self.domain_wait_seconds:.0f} s. That is normal for a "
                "new domain: it may take a minute more before the sign-in page answers. Setup goes on."
            )

    # -- clients, branding, users ---------------------------------------------------------------
    def _branding(self, out: Outcome, pool_id: str, client_id: str, dry_run: bool, name: str = WEB_CLIENT) -> None:
        """Managed login pages are unavailable to an app client until it has a branding style."""
        just_created = client_id.startswith("<") or any(c["id"] == client_id for c in out.created)
        try:
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
        except Unsupported as exc:
            out.warnings.append(
                f"No managed login branding style for {name}: {exc} An emulator serves its own sign-in form; on "
                "real Cognito the sign-in page would say 'Login pages unavailable'."
            )
            return
        self._created(
            out, {"type": "branding", "id": branding["ManagedLoginBrandingId"], "pool": pool_id, "client": client_id}
        )

    def _resource_server_exists(self, pool_id: str) -> bool:
        page = self._call("list resource servers", "list_resource_servers", UserPoolId=pool_id, MaxResults=50)
        return any(r["Identifier"] == RESOURCE_SERVER for r in page.get("ResourceServers", []))

    def _test_user(self, out: Outcome, pool_id: str, new_pool: bool, run: Request) -> None:
        name = run.test_user
        exists = not new_pool and self._call(
            "look up the test user", "admin_get_user", missing_ok=True, UserPoolId=pool_id, Username=name
        )
        if exists:
            out.actions.append(f"reuse test user {name} ({exists.get('UserStatus', '?')}; its password unchanged)")
            return
        kind = "a permanent" if run.permanent_password else "a temporary"
        out.actions.append(f"create test user {name} with {kind} password")
        if run.dry_run:
            return
        out.temporary_password = _password()
        self._call(
            "create the test user",
            "admin_create_user",
            UserPoolId=pool_id,
            Username=name,
            TemporaryPassword=out.temporary_password,
            MessageAction="SUPPRESS",
        )
        self._created(out, {"type": "user", "id": name, "pool": pool_id})
        if run.permanent_password:  # FORCE_CHANGE_PASSWORD → CONFIRMED: no new-password page at first sign-in
            self._call(
                "make the test user's password permanent",
                "admin_set_user_password",
                UserPoolId=pool_id,
                Username=name,
                Password=out.temporary_password,
                Permanent=True,
            )
            out.permanent_password = True

    def _client(self, out: Outcome, pool_id: str, new_pool: bool, name: str, wanted: dict, dry_run: bool) -> dict:
        existing = None if new_pool else self.find_client(pool_id, name)
        if existing is None:
            rotation = wanted.get("RefreshTokenRotation")
            rotating = (
                f" (refresh-token rotation on, grace {rotation['RetryGracePeriodSeconds']} s)" if rotation else ""
            )
            out.actions.append(f"create app client {name}{rotating}")
            if dry_run:
                return {"ClientId": "<new>", "ClientSecret": ""}
            created = self._call(
                f"create app client {name}", "create_user_pool_client", UserPoolId=pool_id, ClientName=name, **wanted
            )["UserPoolClient"]
            self._created(out, {"type": "client", "id": created["ClientId"], "name": name, "pool": pool_id})
            return created
        if wanted.get("GenerateSecret") and not has_secret(existing):
            raise SetupError(
                f"App client {name} ({existing['ClientId']}) exists without a secret, and a secret cannot be added "
                f"later ({_need('confidential_client')}). Delete it in the console (or with "
                "teardown, if setup created it) and run setup again."
            )
        if not wanted.get("GenerateSecret") and has_secret(existing):
            raise SetupError(
                f"App client {name} ({existing['ClientId']}) has a secret, but the browser-only flow needs a public "
                f"client, and a secret cannot be removed ({_need('public_client_secret')}). Delete "
                "it in the console (or with teardown, if setup created it) and run setup again."
            )
        missing = drift(existing, wanted)
        if not missing:
            out.actions.append(f"reuse app client {name}")
            return existing
        out.actions.append(f"update app client {name}: {_changes(missing, wanted)} (everything else kept)")
        if not dry_run:
            self._call(
                f"update app client {name}",
                "update_user_pool_client",
                **repair_request(existing, wanted, self.input_members("UpdateUserPoolClient")),
            )
        return existing
