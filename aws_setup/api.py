"""The boto3 side of the Cognito commands: one wrapper that turns AWS errors into what to do next,
the lookups setup, inspect and teardown share, and the IAM actions they call."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal, overload

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
    "AdminSetUserPassword",
    "AdminDeleteUser",
)
# What an endpoint answers for an operation it does not implement: AWS's UnknownOperationException,
# MiniStack's InvalidAction ("Unknown Cognito IDP action: CreateManagedLoginBranding"), LocalStack's
# and moto's NotImplemented variants. Real Cognito implements every operation above.
UNSUPPORTED = ("UnknownOperationException", "InvalidAction", "NotImplemented", "NotImplementedError", "InternalFailure")


class SetupError(Exception):
    """A clear, actionable failure (no credentials, access denied, domain taken, ...)."""


class Unsupported(SetupError):
    """The endpoint (an emulator) does not implement this operation."""


def error_code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "") or type(exc).__name__


def explain_aws_error(exc: Exception, doing: str) -> SetupError:
    """Map boto3/botocore errors to what the user should do next."""
    name = type(exc).__name__
    if name in ("NoCredentialsError", "PartialCredentialsError"):
        return SetupError(
            "No AWS credentials found. Run `aws configure` (or `aws sso login`), or set AWS_PROFILE, "
            "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, then run this again."
        )
    if name == "EndpointConnectionError":
        return SetupError(
            f"Could not reach AWS while trying to {doing}: check the network and --region "
            "(and AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_COGNITO_IDP if you point boto3 at an emulator)."
        )
    code = error_code(exc)
    message = getattr(exc, "response", {}).get("Error", {}).get("Message", str(exc))
    if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "NotAuthorizedException"):
        return SetupError(
            f"AWS denied the request to {doing} ({code}: {message}). Your identity needs these permissions: "
            + ", ".join(f"cognito-idp:{action}" for action in IAM_ACTIONS)
            + "."
        )
    if code in UNSUPPORTED:
        return Unsupported(f"The endpoint does not implement the call to {doing} ({code}: {message}).")
    if code in ("InvalidParameterException", "ResourceNotFoundException", "LimitExceededException"):
        return SetupError(f"AWS refused to {doing}: {code}: {message}")
    return SetupError(f"AWS failed to {doing}: {code}: {message}")


class CognitoApi:
    """One region's Cognito IDP through a boto3 client (moto or MiniStack in the tests)."""

    # How long setup waits for a new domain to become ACTIVE, and teardown for a deleted one to go
    # (AWS: a prefix domain takes "up to one minute").
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
                if missing_ok and error_code(exc) in ("ResourceNotFoundException", "UserNotFoundException"):
                    return None
                raise explain_aws_error(exc, doing) from None
            raise

    # -- lookups --------------------------------------------------------------------------------
    def find_pool(self, name: str) -> str | None:
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

    def describe_pool(self, pool_id: str) -> dict:
        return self._call("describe the user pool", "describe_user_pool", UserPoolId=pool_id)["UserPool"]

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
                    return self.describe_client(pool_id, item["ClientId"])
            token = page.get("NextToken")
            if not token:
                return None

    def describe_client(self, pool_id: str, client_id: str) -> dict:
        return self._call(
            "describe an app client", "describe_user_pool_client", UserPoolId=pool_id, ClientId=client_id
        )["UserPoolClient"]

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

    def input_members(self, operation: str) -> set[str]:
        """An operation's input fields, from botocore's service model."""
        return set(self.idp.meta.service_model.operation_model(operation).input_shape.members)

    def domain_status(self, prefix: str) -> str:
        """The domain's Status ("gone" when no pool has it; a description without a Status counts as ACTIVE)."""
        found = self.describe_domain(prefix)
        return (found.get("Status") or "ACTIVE") if found.get("UserPoolId") else "gone"

    def wait_for_domain(self, prefix: str, want: str = "ACTIVE") -> str:
        """Poll DescribeUserPoolDomain until the domain's status is `want` ("ACTIVE", or "gone" after a
        delete); return the last status seen (not `want` when the time limit passed)."""
        deadline = time.monotonic() + self.domain_wait_seconds
        while True:
            status = self.domain_status(prefix)
            if status == want:
                self.say(f"Domain {prefix} is {'deleted' if want == 'gone' else want}.")
                return status
            if status == "FAILED" and want == "ACTIVE":
                raise SetupError(
                    f"AWS reports the domain {prefix} as FAILED. Delete it (console: App integration → Domain, or "
                    "`flask --app app cognito teardown`) and run setup again, perhaps with another --domain-prefix."
                )
            if time.monotonic() >= deadline:
                return status
            goal = "be deleted" if want == "gone" else f"become {want}"
            self.say(f"Waiting for domain {prefix} to {goal} (now {status})…")
            time.sleep(self.domain_poll_seconds)
