"""Settings for Cognito Flow Lab, read from the environment (and `.env`).

Every setting is documented in `.env.example`. Bad values stop start-up with a
`ConfigError` that names the setting and the reason.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import load_dotenv
from limits import parse_many

import local_defaults
from oauth.config import ClientConfig
from oauth.outbound import Entry, parse_allowlist
from oauth.resource import is_scope_token

BASE_DIR = Path(__file__).resolve().parent
DEFAULT_INSTANCE = BASE_DIR / "instance"
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
POOL_ID_RE = re.compile(r"^(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)_[0-9A-Za-z]+$")
CLIENT_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
SESSION_BACKENDS = ("cachelib", "redis")
# A user pool's IssuerConfiguration.Type (botocore's cognito-idp model; AWS API reference
# https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_IssuerConfigurationType.html):
# ORIGINAL is https://cognito-idp.{region}.amazonaws.com/{pool}, UPDATED (which AWS recommends)
# https://issuer-cognito-idp.{region}.amazonaws.com/{pool}.
ISSUER_HOSTS = {"ORIGINAL": "cognito-idp", "UPDATED": "issuer-cognito-idp"}
# boto3's endpoint overrides, the service-specific one first (as boto3 reads them). boto3 names
# Cognito's after its service id, "Cognito Identity Provider"; the shorter _COGNITO_IDP (which
# boto3 itself ignores) is honoured too: the Cognito commands pass it to boto3 explicitly.
ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "AWS_ENDPOINT_URL_COGNITO_IDP", "AWS_ENDPOINT_URL")


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names it and says why."""


@dataclass(frozen=True)
class Settings:
    """Everything the app needs to know, validated once at start-up: the one ClientConfig (what oauth/
    takes: the provider, the app clients, the app's URLs) and the app's own settings beside it. Nothing
    of `client` is repeated here; templates get only what they show (views/hooks.py's PageSettings)."""

    client: ClientConfig
    local_pool_file: str = ""  # the local provider's users and clients (LOCAL_COGNITO_FILE), when it runs
    demo_user: tuple[str, str] | None = field(default=None, repr=False)
    demo_users: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    refresh_token_grace_seconds: int | None = None  # RefreshTokenRotation.RetryGracePeriodSeconds, if known
    public_refresh_grace_seconds: int | None = None  # the local public client's, when it rotates (attack lab)
    api_token_cache_size: int = 10_000
    host: str = "127.0.0.1"
    port: int = 5000
    secret_key: str = field(default="", repr=False)
    session_backend: str = "cachelib"
    redis_url: str = field(default="redis://127.0.0.1:6379/0", repr=False)  # it may carry a password
    instance_path: str = str(DEFAULT_INSTANCE)
    session_idle_minutes: int = 30
    session_max_hours: int = 8
    machine_page: bool = True
    rate_limit_sign_in: str = "600 per minute"
    rate_limit_doctor: str = "5 per minute"
    rate_limit_inspect: str = "60 per minute"
    rate_limit_provider_calls: str = "30 per minute"
    rate_limit_attacks: str = "20 per minute"
    api_call_allowlist: tuple[Entry, ...] = ()  # where /call may send the access token (empty: the page is off)

    @property
    def secure_cookies(self) -> bool:
        return self.client.app_url.startswith("https://")

    @property
    def trusted_hosts(self) -> list[str]:
        """Flask's TRUSTED_HOSTS: APP_URL's host (any port); a loopback APP_URL trusts both loopback
        names, since the dev server is reached as localhost and as 127.0.0.1 alike."""
        host = urlsplit(self.client.app_url).hostname or ""
        return ["localhost", "127.0.0.1"] if host in LOOPBACK_HOSTS else [host]


CLIENT_FIELDS = frozenset(f.name for f in fields(ClientConfig))


def _check_url(name: str, value: str, *, allow_path: bool = True) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name}={value!r} is not an absolute http(s) URL.")
    if parts.query or parts.fragment:
        raise ConfigError(f"{name}={value!r} must not carry a query or a fragment.")
    if not allow_path and parts.path not in ("", "/"):
        raise ConfigError(f"{name}={value!r} must not have a path.")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise ConfigError(
            f"{name}={value!r} uses http:// on a non-loopback host; "
            "use https:// (http is accepted only for localhost, 127.0.0.1 and [::1]: Cognito, too, refuses http:// "
            "callback URLs on any other host)."
        )
    return value.rstrip("/")


def cognito_issuer(pool_id: str, region: str = "", issuer_type: str = "ORIGINAL") -> str:
    """Return Cognito's issuer URL for a user pool id such as `eu-west-1_AbC123`, in the pool's form."""
    match = POOL_ID_RE.match(pool_id)
    if not match:
        raise ConfigError(
            f"COGNITO_USER_POOL_ID={pool_id!r} is not a user pool id like "
            "'eu-west-1_AbCdEf123' (region prefix, underscore, id)."
        )
    if issuer_type not in ISSUER_HOSTS:
        raise ConfigError(
            f"COGNITO_ISSUER_TYPE={issuer_type!r} must be ORIGINAL or UPDATED (the user pool's IssuerConfiguration)."
        )
    region = region or match["region"]
    return f"https://{ISSUER_HOSTS[issuer_type]}.{region}.amazonaws.com/{pool_id}"


def endpoint_override(env: dict[str, str]) -> tuple[str, str]:
    """(variable, URL) of boto3's Cognito endpoint override, or ("", "") when none is set."""
    for name in ENDPOINT_VARIABLES:
        value = env.get(name, "").strip()
        if value:
            return name, value.rstrip("/")
    return "", ""


def emulator_endpoint(env: dict[str, str]) -> str:
    """boto3's Cognito endpoint override when it is set explicitly and points at loopback (an emulator
    such as MiniStack, which serves Cognito's AWS-form issuer from http://127.0.0.1:PORT), else "".
    An override elsewhere (a VPC or FIPS endpoint for boto3) is real AWS: discovery stays at the issuer."""
    name, url = endpoint_override(env)
    parts = urlsplit(url)
    if not name or parts.scheme not in ("http", "https") or parts.hostname not in LOOPBACK_HOSTS:
        return ""
    return url


def emulator_discovery(env: dict[str, str], pool_id: str) -> str:
    """Where an emulator serves the pool's discovery document: `{endpoint}/{pool}`, or "" for real AWS."""
    url = emulator_endpoint(env)
    return f"{url}/{pool_id}" if url else ""


def _int(env: dict[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise ConfigError(f"{name}={raw!r} must be at least {minimum}.")
    return value


def _switch(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in ("on", "off"):
        raise ConfigError(f"{name}={raw!r} must be on or off.")
    return raw == "on"


def _rate_limit(env: dict[str, str], name: str, default: str) -> str:
    raw = env.get(name, "").strip() or default
    try:
        parse_many(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a rate limit like '10 per minute' or '5/second; 100/hour'.") from None
    return raw


REDIS_SCHEMES = ("redis", "rediss", "unix")


def _redis_url(env: dict[str, str]) -> str:
    """REDIS_URL: redis://, rediss:// (TLS) or unix://, a password allowed in it (never repeated in errors)."""
    raw = env.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    scheme = urlsplit(raw).scheme
    if scheme not in REDIS_SCHEMES:
        raise ConfigError(
            f"REDIS_URL must start with redis://, rediss:// (TLS) or unix://, not {scheme or 'nothing'}://."
        )
    return raw


def _secret_key(env: dict[str, str], instance: Path) -> str:
    if env.get("SECRET_KEY"):
        return env["SECRET_KEY"]
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True, mode=0o700)
        create_private(path, secrets.token_urlsafe(48).encode())
    return path.read_text().strip()


def create_private(path: Path, data: bytes) -> bool:
    """Create `path` holding `data`, mode 0600 from the start (never chmod'ed afterwards).

    Written under a temporary name, then linked into place: another process starting at the
    same moment either wins (and this one returns False and keeps its file) or sees nothing.
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        except OSError:  # a file system without hard links: plain atomic replace
            os.replace(tmp, path)
        return True
    finally:
        tmp.unlink(missing_ok=True)


def read_local_provider(path: Path, port: int = local_defaults.PORT) -> dict:
    """Read the local provider's settings file (written by `local_cognito`)."""
    try:
        data = json.loads(path.read_text())
        client = data["clients"][0]
        user = (data.get("users") or [{}])[0]
        machine: dict = next((c for c in data["clients"] if c.get("allowed_flows") == ["client_credentials"]), {})
        public: dict = next(
            (c for c in data["clients"] if not c.get("client_secret") and "code" in c.get("allowed_flows", [])), {}
        )
        resource_scopes = [
            f"{server['identifier']}/{scope['name']}"
            for server in data.get("resource_servers", [])
            for scope in server.get("scopes", [])
        ]
        return {
            "resource_scopes": resource_scopes,
            "issuer": data["issuer"],
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
            "demo_user": (user["username"], user["password"]) if user else None,
            "demo_users": tuple(
                (u["username"], u["password"])
                for u in data.get("users") or []
                if u.get("username") and u.get("password")
            ),
            "m2m_client_id": machine.get("client_id", ""),
            "m2m_client_secret": machine.get("client_secret", ""),
            "public_client_id": public.get("client_id", ""),
            "refresh_token_grace_seconds": _rotation_grace(client),
            "public_refresh_grace_seconds": _rotation_grace(public) if public else None,
        }
    except FileNotFoundError:
        # Not started yet (the local provider writes this file): the app still loads, so CLI
        # commands work, and a sign-in says the provider cannot be reached.
        return {
            "issuer": local_defaults.issuer(port),  # where the provider will listen (LOCAL_COGNITO_PORT)
            "client_id": "",
            "client_secret": "",
            "demo_user": None,
            "demo_users": (),
            "m2m_client_id": "",
            "m2m_client_secret": "",
            "public_client_id": "",
            "resource_scopes": [],
            "refresh_token_grace_seconds": None,
            "public_refresh_grace_seconds": None,
        }
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path} is not a valid local provider file: {exc}") from None


def _rotation_grace(client: dict) -> int | None:
    """A local app client's RetryGracePeriodSeconds when it rotates refresh tokens (AWS's field names,
    see local_cognito/rotation.py), else None."""
    rotation = client.get("RefreshTokenRotation") or {}
    if not isinstance(rotation, dict) or rotation.get("Feature") != "ENABLED":
        return None
    grace = rotation.get("RetryGracePeriodSeconds", 0)
    return grace if type(grace) is int and 0 <= grace <= 60 else None


def _scope_setting(env: dict[str, str], name: str) -> str:
    """One scope (RFC 6749 §3.3 scope-token: printable ASCII, no space, `"` or `\\`), or "" for none; it
    goes into a WWW-Authenticate header as it is (RFC 6750 §3)."""
    value = env.get(name, "").strip()
    if value and not is_scope_token(value):
        raise ConfigError(
            f"{name}={value[:80]!r} must be one scope, such as flowlab-api/read: printable ASCII without "
            "spaces, quotes or backslashes (RFC 6749 §3.3)."
        )
    return value


def _grace_seconds(env: dict[str, str], local_default: int | None) -> int | None:
    """REFRESH_TOKEN_GRACE_SECONDS (0-60, the app client's RetryGracePeriodSeconds), or the local
    provider's own setting."""
    if not env.get("REFRESH_TOKEN_GRACE_SECONDS", "").strip():
        return local_default
    value = _int(env, "REFRESH_TOKEN_GRACE_SECONDS", 0, minimum=0)
    if value > 60:
        raise ConfigError(f"REFRESH_TOKEN_GRACE_SECONDS={value} must be 0 to 60 (Cognito's RetryGracePeriodSeconds).")
    return value


def _allowlist(env: dict[str, str]) -> tuple[Entry, ...]:
    """API_CALL_ALLOWLIST: the origins and URL prefixes /call may send the access token to."""
    try:
        return parse_allowlist(env.get("API_CALL_ALLOWLIST", ""))
    except ValueError as exc:
        raise ConfigError(f"API_CALL_ALLOWLIST: {exc}.") from None


def load_settings(env: dict[str, str] | None = None, **overrides: object) -> Settings:
    """Build Settings from `env` (default: os.environ after loading `.env`)."""
    if env is None:
        load_dotenv(BASE_DIR / ".env", override=False)
        env = dict(os.environ)
    env = {k: v for k, v in env.items() if v is not None}
    instance = Path(env.get("INSTANCE_PATH") or DEFAULT_INSTANCE)

    app_url = _check_url("APP_URL", local_defaults.app_url(env), allow_path=False)
    if ":" in (urlsplit(app_url).hostname or ""):
        raise ConfigError(
            f"APP_URL={app_url!r} uses an IPv6 address, which Host checking cannot match; "
            "use a name (http://localhost:PORT for this machine)."
        )
    client_auth = env.get("OAUTH_CLIENT_AUTH") or "client_secret_basic"
    if client_auth not in CLIENT_AUTH_METHODS:
        raise ConfigError(f"OAUTH_CLIENT_AUTH={client_auth!r} must be one of {CLIENT_AUTH_METHODS}.")
    backend = env.get("SESSION_BACKEND") or "cachelib"
    if backend not in SESSION_BACKENDS:
        raise ConfigError(f"SESSION_BACKEND={backend!r} must be one of {SESSION_BACKENDS}.")
    scopes = tuple((env.get("OAUTH_SCOPES") or "openid email profile").split())

    pool_id = env.get("COGNITO_USER_POOL_ID", "").strip()
    discovery_base = ""
    issuer_env = env.get("OAUTH_ISSUER", "").strip()
    domain = env.get("COGNITO_DOMAIN", "").strip()
    if domain and "://" not in domain:
        domain = "https://" + domain
    if domain:
        domain = _check_url("COGNITO_DOMAIN", domain, allow_path=False)

    local = not local_defaults.provider_configured(env)
    if local:
        local_file = local_defaults.pool_file(env, instance)
        provider = read_local_provider(local_file, local_defaults.port(env))
        issuer = provider["issuer"]
        client_id = env.get("OAUTH_CLIENT_ID") or provider["client_id"]
        client_secret = env.get("OAUTH_CLIENT_SECRET") or provider["client_secret"]
        is_cognito = True
        demo_user = provider["demo_user"]
        demo_users = provider["demo_users"]
        m2m_id = env.get("M2M_CLIENT_ID") or provider["m2m_client_id"]
        m2m_secret = env.get("M2M_CLIENT_SECRET") or provider["m2m_client_secret"]
        public_id = env.get("OAUTH_PUBLIC_CLIENT_ID", "").strip() or provider["public_client_id"]
        resource_scopes = tuple(env.get("OAUTH_RESOURCE_SCOPES", "").split()) or tuple(provider["resource_scopes"])
        grace_default = provider["refresh_token_grace_seconds"]
        public_grace = provider["public_refresh_grace_seconds"]
    else:
        public_grace = None
        grace_default = None
        demo_user, demo_users = None, ()
        m2m_id, m2m_secret = env.get("M2M_CLIENT_ID", "").strip(), env.get("M2M_CLIENT_SECRET", "")
        public_id = env.get("OAUTH_PUBLIC_CLIENT_ID", "").strip()
        resource_scopes = tuple(env.get("OAUTH_RESOURCE_SCOPES", "").split())
        if pool_id:
            region = env.get("COGNITO_REGION", "").strip()
            issuer_type = env.get("COGNITO_ISSUER_TYPE", "").strip().upper() or "ORIGINAL"
            issuer = cognito_issuer(pool_id, region, issuer_type)
            discovery_base = emulator_discovery(env, pool_id)
            if issuer_env and issuer_env.rstrip("/") != issuer:
                other = "UPDATED" if issuer_type == "ORIGINAL" else "ORIGINAL"
                hint = (
                    f"; that is the pool's {other} issuer form: set COGNITO_ISSUER_TYPE={other} instead"
                    if issuer_env.rstrip("/") == cognito_issuer(pool_id, region, other)
                    else "; set only one of them"
                )
                raise ConfigError(
                    f"OAUTH_ISSUER={issuer_env!r} disagrees with COGNITO_USER_POOL_ID and COGNITO_ISSUER_TYPE "
                    f"(which mean {issuer!r}){hint}."
                )
        else:
            issuer = _check_url("OAUTH_ISSUER", issuer_env)
        client_id = env.get("OAUTH_CLIENT_ID", "").strip()
        client_secret = env.get("OAUTH_CLIENT_SECRET", "")
        if not client_id:
            raise ConfigError("OAUTH_CLIENT_ID is required when a provider is configured.")
        is_cognito = bool(pool_id) or (urlsplit(issuer).hostname or "").endswith(".amazonaws.com")

    allowed_clients = tuple(
        dict.fromkeys(
            [client_id, *env.get("API_ALLOWED_CLIENT_IDS", "").replace(",", " ").split()]
            + ([m2m_id] if local and m2m_id else [])
            + ([public_id] if public_id else [])
        )
    )
    client: dict[str, object] = {
        "issuer": issuer,
        "client_id": client_id,
        "client_secret": client_secret,
        "scopes": scopes,
        "client_auth": client_auth,
        "cognito_domain": domain,
        "is_cognito": is_cognito,
        "local_provider": local,
        "m2m_client_id": m2m_id,
        "public_client_id": public_id,
        "resource_scopes": resource_scopes,
        "api_required_scope": _scope_setting(env, "API_REQUIRED_SCOPE"),
        "api_allowed_client_ids": allowed_clients,
        "m2m_client_secret": m2m_secret,
        "app_url": app_url,
        "jwks_max_age": float(_int(env, "JWKS_MAX_AGE", 600)),
        "discovery_base": discovery_base,
        "pool_id": "" if local else pool_id,
    }
    values: dict[str, object] = {
        "local_pool_file": str(local_defaults.pool_file(env, instance)) if local else "",
        "demo_user": demo_user,
        "demo_users": demo_users,
        "refresh_token_grace_seconds": _grace_seconds(env, grace_default),
        "public_refresh_grace_seconds": public_grace,
        "api_token_cache_size": _int(env, "API_TOKEN_CACHE_SIZE", 10_000, minimum=0),
        "host": env.get("HOST") or "127.0.0.1",
        "port": _int(env, "PORT", local_defaults.app_port(env)),
        "secret_key": _secret_key(env, instance),
        "session_backend": backend,
        "redis_url": _redis_url(env),
        "instance_path": str(instance),
        "session_idle_minutes": _int(env, "SESSION_IDLE_MINUTES", 30),
        "session_max_hours": _int(env, "SESSION_MAX_HOURS", 8),
        # With a real provider the page hands any signed-in user the machine client's scopes: opt in.
        "machine_page": _switch(env, "MACHINE_PAGE", default=local),
        "rate_limit_sign_in": _rate_limit(env, "RATE_LIMIT_SIGN_IN", "600 per minute"),
        "rate_limit_doctor": _rate_limit(env, "RATE_LIMIT_DOCTOR", "5 per minute"),
        "rate_limit_inspect": _rate_limit(env, "RATE_LIMIT_INSPECT", "60 per minute"),
        "rate_limit_provider_calls": _rate_limit(env, "RATE_LIMIT_PROVIDER_CALLS", "30 per minute"),
        "rate_limit_attacks": _rate_limit(env, "RATE_LIMIT_ATTACKS", "20 per minute"),
        "api_call_allowlist": _allowlist(env),
    }
    # `overrides` (tests, the bench) name a field of either object: each goes where it belongs
    client.update({k: v for k, v in overrides.items() if k in CLIENT_FIELDS})
    values.update({k: v for k, v in overrides.items() if k not in CLIENT_FIELDS})
    return Settings(client=ClientConfig(**client), **values)  # type: ignore[arg-type]
