"""The user pool's state and rules: users, clients, codes, refresh tokens, sign-in sessions.

Plain Python, no Flask, so every Cognito rule here can be unit-tested directly.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field

from jose import jws, jwt
from jose.utils import calculate_at_hash

from . import customization, lifetimes, rotation, stepup
from .keys import KeyRing

CODE_TTL = 300
PROVENANCE_KEPT = 2000  # customization records of the latest minted tokens (by jti), for the lab's screens
PKCE_VALUE = re.compile(r"[A-Za-z0-9._~-]{43,128}")  # RFC 7636 §4.1-4.2: unreserved characters only
SESSION_TTL = 3600
NEW_PASSWORD_TTL = 300
# Cognito's default password policy: at least 8 characters, with a lowercase and an uppercase
# letter, a number and a symbol.
PASSWORD_POLICY = re.compile(r"(?=.*[a-z])(?=.*[A-Z])(?=.*[0-9])(?=.*[^A-Za-z0-9]).{8,256}")
PASSWORD_POLICY_TEXT = (
    "Password does not conform to policy: use at least 8 characters, with a lowercase and an uppercase "
    "letter, a number and a symbol."
)


ATTRIBUTE_SCOPES = frozenset({"email", "phone", "profile"})


def openid_alone(scopes: list[str]) -> bool:
    """openid with none of the attribute scopes: AWS's userInfo page says userInfo then returns every
    attribute the app client can read, and AWS CDK's OAuthScope.OPENID says the ID token carries them all
    (https://docs.aws.amazon.com/cognito/latest/developerguide/userinfo-endpoint.html,
    https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_cognito.OAuthScope.html)."""
    return "openid" in scopes and not ATTRIBUTE_SCOPES & set(scopes)


class OAuthError(Exception):
    """An OAuth error as Cognito names it (`error`), with an optional description."""

    def __init__(self, error: str, description: str = "", status: int = 400):
        super().__init__(error)
        self.error = error
        self.description = description
        self.status = status

    def as_json(self) -> dict:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body


@dataclass
class Grant:
    """What a code or refresh token stands for."""

    client_id: str
    username: str
    scopes: list[str]
    auth_time: int
    origin_jti: str
    event_id: str
    nonce: str | None = None
    redirect_uri: str = ""
    code_challenge: str | None = None
    expires: float = 0.0
    revoked: bool = False
    used: bool = False
    retired_until: float | None = None  # rotated out: usable until then (the grace period), refused after
    extra: dict = field(default_factory=dict)


class Pool:
    """One local user pool, shared by the provider's request threads."""

    def __init__(self, config: dict, keys: KeyRing, base_url: str = ""):
        for client in config["clients"]:
            rotation.normalize(client)  # AWS's RefreshTokenRotation; refuses a malformed one
            lifetimes.normalize(client)  # AWS's AccessTokenValidity etc.; refuses one outside Cognito's limits
        self.customization = customization.load(config)  # refuses rules Cognito would not take
        self.acr_names = stepup.level_names(config)  # urn:cognito:loa:1..4 or the pool's AcrConfiguration
        self.provenance: OrderedDict[str, dict] = OrderedDict()
        self.config = config
        self.keys = keys
        self.base_url = base_url
        self.codes: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.sessions: dict[str, dict] = {}
        self.revoked_origins: set[str] = set()
        self.idp_codes: dict[str, tuple[str, str, dict, float]] = {}
        self.password_changes: dict[str, tuple[str, float]] = {}
        self.lock = threading.Lock()
        self.clock = time.time

    # -- lookups ---------------------------------------------------------
    @property
    def issuer(self) -> str:
        return f"{self.base_url}/{self.config['pool_id']}"

    def client(self, client_id: str | None) -> dict | None:
        for client in self.config["clients"]:
            if client["client_id"] == client_id:
                return client
        return None

    def user(self, username: str) -> dict | None:
        for user in self.config["users"]:
            if user["username"].lower() == (username or "").lower():
                return user
        return None

    # -- FORCE_CHANGE_PASSWORD: a user created with a temporary password (AdminCreateUser) sets a new
    # one at the first sign-in. A pool-file user with "status": "FORCE_CHANGE_PASSWORD" is asked too.
    @staticmethod
    def needs_new_password(user: dict) -> bool:
        return user.get("status") == "FORCE_CHANGE_PASSWORD"

    def begin_password_change(self, username: str) -> str:
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.password_changes[token] = (username, self.clock() + NEW_PASSWORD_TTL)
        return token

    def change_password(self, token: str, new: str, confirm: str) -> tuple[dict | None, str]:
        """(the user, "") once the new password is set; (None, what is wrong) otherwise. The token is
        single use only when it succeeds, so a typo can be corrected."""
        username, expires = self.password_changes.get(token or "", ("", 0.0))
        user = self.user(username) if expires > self.clock() else None
        if user is None:
            return None, "This password change expired. Sign in again with the temporary password."
        if new != confirm:
            return None, "The passwords do not match."
        if not PASSWORD_POLICY.fullmatch(new or ""):
            return None, PASSWORD_POLICY_TEXT
        with self.lock:
            self.password_changes.pop(token, None)
            user["password"], user["status"] = new, "CONFIRMED"  # in memory: the pool file keeps its mark
        return user, ""

    def check_password(self, username: str, password: str) -> dict | None:
        """The user when the password is theirs; a federated user has none, so never signs in here."""
        user = self.user(username)
        if user and user.get("password") and hmac.compare_digest(user["password"].encode(), (password or "").encode()):
            return user
        return None

    # -- federation: identity_provider / idp_identifier -----------------------------------------
    def identity_provider(self, args: dict, client: dict) -> dict | None:
        """The external IdP an authorize request names (identity_provider, or one of its idp_identifiers),
        None for none or COGNITO (the pool's own sign-in). One the client does not support is refused:
        AWS documents no error for it, so this is invalid_request with a description (tests/fixtures/cognito)."""
        name, identifier = args.get("identity_provider"), args.get("idp_identifier")
        if not name and not identifier:
            return None
        if name == "COGNITO":
            return None
        supported = client.get("supported_identity_providers", ["COGNITO"])
        for idp in self.config.get("identity_providers", []):
            if idp["name"] in supported and (
                idp["name"] == name or (not name and identifier in idp["idp_identifiers"])
            ):
                return idp
        raise OAuthError(
            "invalid_request", f"identity provider {str(name or identifier)[:60]!r} is not enabled for this client"
        )

    def external_idp(self, name: str) -> dict | None:
        return next((i for i in self.config.get("identity_providers", []) if i["name"] == name), None)

    def check_external(self, idp: dict, username: str, password: str) -> dict | None:
        """The IdP's own user, when the password is right (the IdP's check, not the pool's)."""
        for user in idp["users"]:
            if user["username"] == username and hmac.compare_digest(user["password"].encode(), password.encode()):
                return user
        return None

    def federated_user(self, idp: dict, external: dict) -> dict:
        """The pool's user for an IdP user, made at first sign-in as Cognito does: user name
        `<provider>_<IdP sub>`, no password, the group `<pool id>_<provider>`, and `identities`
        (`primary` the string "true", `dateCreated` epoch milliseconds as a string, as in genuine tokens)."""
        username = f"{idp['name']}_{external['sub']}"
        with self.lock:
            user = self.user(username)
            if user is None:
                user = {
                    "username": username,
                    "password": "",
                    "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.config['pool_id']}/{username}")),
                    "email": external.get("email"),
                    "email_verified": False,
                    "groups": [f"{self.config['pool_id']}_{idp['name']}"],
                    "attributes": dict(external.get("attributes", {})),
                    "identities": [
                        {
                            "userId": external["sub"],
                            "providerName": idp["name"],
                            "providerType": idp["type"],
                            "issuer": None,
                            "primary": "true",
                            "dateCreated": str(int(self.clock() * 1000)),
                        }
                    ],
                }
                self.config["users"].append(user)
        return user

    def issue_idp_code(self, idp: dict, external: dict, args: dict) -> str:
        """What the IdP hands back to the pool's /oauth2/idpresponse: single use, 5 minutes."""
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.idp_codes[code] = (idp["name"], external["username"], dict(args), self.clock() + CODE_TTL)
        return code

    def take_idp_code(self, code: str | None) -> tuple[dict, dict, dict] | None:
        """(IdP, its user, the app's authorize args) for a live IdP code, once."""
        with self.lock:
            entry = self.idp_codes.pop(code or "", None)
        if entry is None or entry[3] < self.clock():
            return None
        idp = self.external_idp(entry[0])
        external = next((u for u in idp["users"] if u["username"] == entry[1]), None) if idp else None
        return (idp, external, entry[2]) if idp and external else None

    # -- authorize ---------------------------------------------------------
    def validate_authorize(self, args: dict) -> tuple[dict, list[str]]:
        """Check an authorize request; return the client and the granted scopes.

        Raises OAuthError("redirect_mismatch") when the app must not be redirected to.
        """
        client = self.client(args.get("client_id"))
        if client is None or args.get("redirect_uri") not in client["callback_urls"]:
            raise OAuthError("redirect_mismatch", "unknown client or unregistered redirect_uri")
        response_type = args.get("response_type")
        if response_type not in ("code", "token"):
            raise OAuthError("invalid_request", "response_type must be code or token")
        flow = "code" if response_type == "code" else "implicit"
        if flow not in client["allowed_flows"]:
            raise OAuthError("unauthorized_client", f"{flow} is not allowed for this client")
        method, challenge = args.get("code_challenge_method"), args.get("code_challenge")
        if method or challenge:
            if method != "S256" or not challenge:
                raise OAuthError("invalid_request", "only code_challenge_method=S256 is supported")
            if not isinstance(challenge, str) or not PKCE_VALUE.fullmatch(challenge):
                raise OAuthError(
                    "invalid_request", "code_challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~"
                )
            if response_type != "code":
                raise OAuthError("invalid_request", "PKCE applies to the code grant only")
        elif response_type == "code" and client.get("require_pkce"):
            raise OAuthError("invalid_request", "code_challenge is required for this public client (PKCE)")
        requested = (args.get("scope") or "").split()
        if any(not s.isprintable() for s in requested):
            raise OAuthError("invalid_scope")
        allowed = client["allowed_scopes"]
        if any(s not in allowed for s in requested):
            # Cognito refuses a scope the app client may not use, rather than dropping it: public reports
            # show the redirect `error=invalid_request&error_description=invalid_scope`
            # (https://github.com/aws-samples/cloudfront-authorization-at-edge/issues/82,
            # https://github.com/mlops-club/awscdk-minecraft/issues/40), and MiniStack, written against AWS
            # by others, answers the same. AWS's authorize page names the error invalid_scope; see
            # tests/fixtures/cognito/README.md for both.
            raise OAuthError("invalid_request", "invalid_scope")
        return client, requested or list(allowed)

    def start_session(self, username: str) -> str:
        sid = secrets.token_urlsafe(32)
        with self.lock:
            self.sessions[sid] = {
                "username": username,
                "auth_time": int(self.clock()),
                "amr": list(stepup.PASSWORD_ONLY),
            }
        return sid

    def session(self, sid: str | None) -> dict | None:
        record = self.sessions.get(sid or "")
        if record and self.clock() - record["auth_time"] < SESSION_TTL:
            return record
        return None

    def end_session(self, sid: str | None) -> None:
        with self.lock:
            self.sessions.pop(sid or "", None)

    # -- acr_values / max_age (stepup.py) ------------------------------------------------------------------
    def _acr_requested(self, args: dict) -> bool:
        """acr_values counts on Essentials and Plus only (Lite "silently ignores acr_values")."""
        return bool(args.get("acr_values")) and self.config.get("UserPoolTier", "ESSENTIALS") != "LITE"

    def step_up(self, args: dict, session: dict | None) -> str | None:
        """What this authorize request still needs from the user: None (the session meets it), "login"
        (authenticate from scratch: no session, or older than max_age) or "totp" (add the authenticator
        code). OAuthError for a malformed max_age or a level the user cannot reach."""
        try:
            max_age = stepup.max_age_of(args)
        except ValueError as exc:
            raise OAuthError("invalid_request", str(exc)) from None
        if session is None or (max_age is not None and self.clock() - session["auth_time"] > max_age):
            return "login"
        if not self._acr_requested(args):
            return None
        user = self.user(session["username"]) or {}
        try:
            target = stepup.target_level(args["acr_values"], self.acr_names, bool(user.get("totp_secret")))
        except ValueError as exc:
            raise OAuthError("unmet_authentication_requirements", str(exc)) from None
        if target is None or stepup.achieved_level(session["amr"]) >= target:
            return None
        return "totp"

    def add_totp(self, sid: str, code: str) -> bool:
        """Step the session up with an authenticator code; False (and one more failure) when it is wrong."""
        record = self.session(sid)
        user = self.user(record["username"]) if record else None
        if record is None or user is None or not user.get("totp_secret"):
            return False
        if not stepup.totp_matches(user["totp_secret"], code, self.clock()):
            record["totp_failures"] = record.get("totp_failures", 0) + 1
            return False
        with self.lock:
            record.update(amr=list(stepup.PASSWORD_AND_TOTP), auth_time=int(self.clock()), totp_failures=0)
        return True

    def _auth_context(self, args: dict, session: dict) -> dict:
        """acr and amr for a sign-in that asked with acr_values (a recognised level), else nothing."""
        if not self._acr_requested(args) or not any(v in self.acr_names.values() for v in args["acr_values"].split()):
            return {}
        amr = session.get("amr") or stepup.PASSWORD_ONLY
        return stepup.claims(stepup.achieved_level(amr), amr, self.acr_names)

    def _sign_in_grant(self, client: dict, scopes: list[str], args: dict, session: dict, **extra) -> Grant:
        """A new sign-in event: fresh origin_jti and event_id, the user's auth_time, the nonce, acr/amr."""
        return Grant(
            client_id=client["client_id"],
            username=session["username"],
            scopes=scopes,
            auth_time=session["auth_time"],
            origin_jti=str(uuid.uuid4()),
            event_id=str(uuid.uuid4()),
            nonce=args.get("nonce"),
            extra=self._auth_context(args, session),
            **extra,
        )

    def issue_code(self, client: dict, scopes: list[str], args: dict, session: dict) -> str:
        code = str(uuid.uuid4())
        grant = self._sign_in_grant(
            client,
            scopes,
            args,
            session,
            redirect_uri=args["redirect_uri"],
            code_challenge=args.get("code_challenge"),
            expires=self.clock() + CODE_TTL,
        )
        with self.lock:
            now = self.clock()  # a code never redeemed (a sign-in abandoned at its callback) is dropped once expired
            for old in [c for c, g in self.codes.items() if g.expires < now]:
                del self.codes[old]
            self.codes[code] = grant
        return code

    def implicit_tokens(self, client: dict, scopes: list[str], args: dict, session: dict) -> dict:
        grant = self._sign_in_grant(client, scopes, args, session)
        access = self.access_token(client, grant)
        out = {"access_token": access, "token_type": "Bearer", "expires_in": self._ttl(client)}
        if "openid" in scopes:
            out = {"id_token": self.id_token(client, grant, access), **out}
        return out

    # -- token endpoint ------------------------------------------------------
    def authenticate_client(self, basic: tuple[str, str] | None, form: dict) -> dict:
        client_id: str | None
        secret: str | None
        if basic:
            client_id, secret = basic
        else:
            client_id, secret = form.get("client_id"), form.get("client_secret")
        client = self.client(client_id)
        if client is None:
            raise OAuthError("invalid_client", "unknown client")
        expected = client.get("client_secret")
        if expected and (not secret or not hmac.compare_digest(expected.encode(), secret.encode())):
            raise OAuthError("invalid_client", "client authentication failed")
        if not expected and secret:
            raise OAuthError("invalid_client", "the client is not configured with a secret")
        return client

    def token(self, client: dict, form: dict) -> dict:
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._redeem_code(client, form)
        if grant_type == "refresh_token":
            return self._refresh(client, form)
        if grant_type == "client_credentials":
            return self._client_credentials(client, form)
        if not grant_type:
            raise OAuthError("invalid_request", "grant_type is required")
        raise OAuthError("unsupported_grant_type")

    def _redeem_code(self, client: dict, form: dict) -> dict:
        if "code" not in client["allowed_flows"]:
            raise OAuthError("unauthorized_client")
        code = form.get("code")
        if not code:
            raise OAuthError("invalid_request", "code is required")
        with self.lock:
            grant = self.codes.pop(code, None)
        if grant is None or grant.expires < self.clock() or grant.client_id != client["client_id"]:
            raise OAuthError("invalid_grant")
        if form.get("redirect_uri") != grant.redirect_uri:
            raise OAuthError("unauthorized_client", "invalid_redirect")
        if grant.code_challenge:
            verifier = form.get("code_verifier") or ""
            digest = hashlib.sha256(verifier.encode()).digest()
            computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if not hmac.compare_digest(computed.encode(), grant.code_challenge.encode()):  # bytes: any text
                raise OAuthError("invalid_grant", "code_verifier does not match code_challenge")
        access = self.access_token(client, grant)
        refresh = self._new_refresh_token(client, grant)
        out = {"access_token": access, "refresh_token": refresh}
        if "openid" in grant.scopes:
            out["id_token"] = self.id_token(client, grant, access)
        return {**out, "token_type": "Bearer", "expires_in": self._ttl(client)}

    def _new_refresh_token(self, client: dict, grant: Grant, expires: float | None = None) -> str:
        """A new refresh token for `grant`'s sign-in, valid for the client's refresh-token lifetime, or
        until `expires` (a rotated token keeps the original's expiry)."""
        token = "eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ." + (secrets.token_urlsafe(48))
        record = Grant(
            client_id=grant.client_id,
            username=grant.username,
            scopes=list(grant.scopes),
            auth_time=grant.auth_time,
            origin_jti=grant.origin_jti,
            event_id=grant.event_id,
            expires=expires if expires is not None else self.clock() + lifetimes.lifetimes_of(client).refresh,
            extra=dict(grant.extra),
        )
        with self.lock:
            self.refresh_tokens[token] = record
        return token

    def _refresh(self, client: dict, form: dict) -> dict:
        token = form.get("refresh_token")
        if not token:
            raise OAuthError("invalid_request", "refresh_token is required")
        rotate = rotation.rotation_of(client)
        with self.lock:  # checked and rotated out at once: two refreshes with one token never both pass
            grant = self._usable_refresh_token(token, client)
            if rotate.enabled and grant.retired_until is None:  # a retry in the grace period does not extend it
                grant.retired_until = self.clock() + rotate.grace_seconds
                grant.revoked = rotate.grace_seconds == 0  # 0: "immediately invalidates the submitted refresh token"
        if self.user(grant.username) is None:
            raise OAuthError("invalid_grant", "User does not exist.")
        access = self.access_token(client, grant, source="refresh")
        out = {"access_token": access}
        if "openid" in grant.scopes:
            out["id_token"] = self.id_token(client, grant, access, source="refresh")
        if rotate.enabled:  # a new refresh token for the rest of the original's lifetime (rotation.py)
            out["refresh_token"] = self._new_refresh_token(client, grant, expires=grant.expires)
        return {**out, "token_type": "Bearer", "expires_in": self._ttl(client)}

    def _usable_refresh_token(self, token: str, client: dict) -> Grant:
        """The grant of a refresh token this client may use now; else invalid_grant ("Invalid Refresh
        Token", the text Cognito's API gives): unknown, revoked (itself or its sign-in), expired, rotated
        out with its grace period over, or another client's."""
        grant = self.refresh_tokens.get(token)
        now = self.clock()
        if (
            grant is None
            or grant.revoked
            or grant.expires < now
            or grant.origin_jti in self.revoked_origins
            or (grant.retired_until is not None and grant.retired_until <= now)
            or grant.client_id != client["client_id"]
        ):
            raise OAuthError("invalid_grant", "Invalid Refresh Token")
        return grant

    def _client_credentials(self, client: dict, form: dict) -> dict:
        if client.get("allowed_flows") != ["client_credentials"] or not client.get("client_secret"):
            raise OAuthError("unauthorized_client")
        custom = [s for s in client["allowed_scopes"] if "/" in s]
        requested = (form.get("scope") or "").split()
        scopes = [s for s in requested if s in custom] if requested else custom
        if not scopes:
            raise OAuthError("invalid_scope")
        grant = Grant(
            client_id=client["client_id"],
            username="",
            scopes=scopes,
            auth_time=int(self.clock()),
            origin_jti="",
            event_id="",
        )
        token = self.access_token(client, grant, machine=True)
        return {"access_token": token, "token_type": "Bearer", "expires_in": self._ttl(client)}

    def revoke(self, client: dict, token: str | None) -> None:
        if not token:
            raise OAuthError("invalid_request", "token is required")
        if token.count(".") == 2 and token.startswith("eyJ") and token not in self.refresh_tokens:
            raise OAuthError("unsupported_token_type")
        grant = self.refresh_tokens.get(token)
        if grant and grant.client_id == client["client_id"]:
            with self.lock:
                grant.revoked = True
                self.revoked_origins.add(grant.origin_jti)

    # -- tokens ----------------------------------------------------------------
    def _ttl(self, client: dict) -> int:
        """The client's access-token lifetime in seconds (its AccessTokenValidity)."""
        return lifetimes.lifetimes_of(client).access

    def _sign(self, claims: dict, key) -> str:
        return jws.sign(claims, key.signer(), headers={"kid": key.kid}, algorithm="RS256")

    def _customize(self, claims: dict, token_use: str, source: str) -> dict:
        """Claims as the pool's pre token generation trigger leaves them (customization.py); what it
        changed is kept by the token's jti for the lab (`customization_of`)."""
        if self.customization is None:
            return claims
        out, record = self.customization.apply(claims, token_use, source)
        if record is not None:
            with self.lock:
                self.provenance[str(out["jti"])] = record
                while len(self.provenance) > PROVENANCE_KEPT:
                    self.provenance.popitem(last=False)
        return out

    def customization_of(self, jti: str) -> dict | None:
        """Which claims and scopes of the token `jti` came from customization (names only), if known."""
        return self.provenance.get(jti)

    def id_token(self, client: dict, grant: Grant, access_token: str, source: str = "sign_in") -> str:
        user = self.user(grant.username) or {}
        now = int(self.clock())
        claims: dict = {
            "at_hash": calculate_at_hash(access_token, hashlib.sha256),
            "sub": user.get("sub"),
            "cognito:groups": user.get("groups") or None,
            "email_verified": bool(user.get("email_verified")),
            "iss": self.issuer,
            "cognito:username": user.get("username"),
            "origin_jti": grant.origin_jti,
            "aud": client["client_id"],
            "event_id": grant.event_id,
            "token_use": "id",
            "auth_time": grant.auth_time,
            "exp": now + lifetimes.lifetimes_of(client).id,
            "iat": now,
            "jti": str(uuid.uuid4()),
            "email": user.get("email"),
            "acr": grant.extra.get("acr"),
            "amr": grant.extra.get("amr"),
            "identities": user.get("identities"),  # federated users only (AWS's ID token page)
        }
        if grant.nonce:
            claims["nonce"] = grant.nonce
        if "profile" in grant.scopes or openid_alone(grant.scopes):
            claims.update(user.get("attributes", {}))
        claims = self._customize({k: v for k, v in claims.items() if v is not None}, "id", source)
        return self._sign(claims, self.keys.id_key)

    def access_token(self, client: dict, grant: Grant, machine: bool = False, source: str = "sign_in") -> str:
        now = int(self.clock())
        if machine:
            claims = {
                "sub": client["client_id"],
                "token_use": "access",
                "scope": " ".join(grant.scopes),
                "auth_time": now,
                "iss": self.issuer,
                "exp": now + self._ttl(client),
                "iat": now,
                "version": 2,
                "jti": str(uuid.uuid4()),
                "client_id": client["client_id"],
            }
            return self._sign(self._customize(claims, "access", "client_credentials"), self.keys.access_key)
        user = self.user(grant.username) or {}
        claims = {
            "sub": user.get("sub"),
            "cognito:groups": user.get("groups") or None,
            "iss": self.issuer,
            "version": 2,
            "client_id": client["client_id"],
            "origin_jti": grant.origin_jti,
            "event_id": grant.event_id,
            "token_use": "access",
            "scope": " ".join(grant.scopes),
            "auth_time": grant.auth_time,
            "exp": now + self._ttl(client),
            "iat": now,
            "jti": str(uuid.uuid4()),
            "username": user.get("username"),
            "acr": grant.extra.get("acr"),
            "amr": grant.extra.get("amr"),
        }
        claims = self._customize({k: v for k, v in claims.items() if v is not None}, "access", source)
        return self._sign(claims, self.keys.access_key)

    def userinfo(self, token: str) -> dict:
        """Return the user's attributes for a valid, unrevoked access token with `openid`."""
        try:
            header = jwt.get_unverified_header(token)
            key = self.keys.public_key(header.get("kid", ""))
            if key is None:
                raise OAuthError("invalid_token", status=401)
            claims = jwt.decode(token, key, algorithms=["RS256"], issuer=self.issuer)
        except OAuthError:
            raise
        except Exception:
            raise OAuthError("invalid_token", status=401) from None
        if claims.get("token_use") != "access" or claims.get("origin_jti") in self.revoked_origins:
            raise OAuthError("invalid_token", status=401)
        if "openid" not in claims.get("scope", "").split():
            raise OAuthError("invalid_token", "openid scope required", status=401)
        user = self.user(claims.get("username", ""))
        if user is None:
            raise OAuthError("invalid_token", status=401)
        scopes = claims["scope"].split()
        info = {"sub": user["sub"], "username": user["username"]}
        everything = openid_alone(scopes)  # "all user attributes that the app client can read"
        if "email" in scopes or everything:
            info["email"] = user["email"]
            info["email_verified"] = "true" if user.get("email_verified") else "false"
        if "profile" in scopes or everything:
            info.update(user.get("attributes", {}))
        return info
