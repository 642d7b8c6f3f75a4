"""Refresh-token rotation, configured per app client with Cognito's own field names.

In the pool file an app client carries, as in CreateUserPoolClient / DescribeUserPoolClient:

    "RefreshTokenRotation": {"Feature": "ENABLED" | "DISABLED", "RetryGracePeriodSeconds": 0-60}

Sources:
- botocore's cognito-idp model, shape RefreshTokenRotationType: `Feature` (FeatureType, required,
  ENABLED | DISABLED) and `RetryGracePeriodSeconds` (RetryGracePeriodSecondsType, 0 to 60, optional);
  tests/test_rotation.py checks these facts against the installed botocore.
- https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_RefreshTokenRotationType.html
  "the original refresh token that you're rotating out can remain valid for a period of time of up to
  60 seconds ... When RetryGracePeriodSeconds is 0, the grace period is disabled and a successful
  request immediately invalidates the submitted refresh token."
- https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-refresh-token.html
  (section "Refresh token rotation"): the token endpoint's refresh_token grant issues "new ID, access,
  and optionally (with refresh token rotation) refresh tokens"; the new refresh token is valid for the
  remaining duration of the original (an AWS answer on re:Post says the same: rotation "doesn't extend
  the original expiration window", https://repost.aws/questions/QUzBxC3OvwTpiTymQWBYLDOg).

Not documented anywhere we found, so chosen here (tests/fixtures/cognito/README.md lists them): the
default grace when `RetryGracePeriodSeconds` is absent (0 here); what a retry with the old token inside
its grace period returns (another new refresh token here; the grace is not extended); and the error
text of the refusal (`invalid_grant`, "Invalid Refresh Token", as for any other unusable refresh token).
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import PoolFileError

FIELD = "RefreshTokenRotation"
LEGACY_FIELD = "refresh_token_rotation"  # pool files written before the AWS names: a plain boolean
FEATURES = ("ENABLED", "DISABLED")
MAX_GRACE_SECONDS = 60
DEFAULT_GRACE_SECONDS = 0


class RotationConfigError(PoolFileError):
    """An app client's RefreshTokenRotation is malformed; the message says which field and why."""


@dataclass(frozen=True)
class Rotation:
    """One app client's rotation settings."""

    enabled: bool = False
    grace_seconds: int = DEFAULT_GRACE_SECONDS

    def as_config(self) -> dict:
        """The pool file's form (AWS's field names)."""
        return {"Feature": "ENABLED" if self.enabled else "DISABLED", "RetryGracePeriodSeconds": self.grace_seconds}


def rotation_of(client: dict) -> Rotation:
    """The client's rotation settings, checked; RotationConfigError names what is wrong."""
    name = client.get("name") or client.get("client_id") or "an app client"
    value = client.get(FIELD)
    if value is None:
        return Rotation()
    if not isinstance(value, dict):
        raise RotationConfigError(f"{name}: {FIELD} must be an object like {{'Feature': 'ENABLED'}}")
    unknown = sorted(set(value) - {"Feature", "RetryGracePeriodSeconds"})
    if unknown:
        raise RotationConfigError(
            f"{name}: {FIELD} has unknown field(s) {unknown}; only Feature and RetryGracePeriodSeconds exist"
        )
    feature = value.get("Feature")
    if feature not in FEATURES:
        raise RotationConfigError(
            f"{name}: {FIELD}.Feature must be ENABLED or DISABLED (it is required), not {feature!r}"
        )
    grace = value.get("RetryGracePeriodSeconds", DEFAULT_GRACE_SECONDS)
    if type(grace) is not int or not 0 <= grace <= MAX_GRACE_SECONDS:
        raise RotationConfigError(
            f"{name}: {FIELD}.RetryGracePeriodSeconds must be a whole number from 0 to {MAX_GRACE_SECONDS}, "
            f"not {grace!r}"
        )
    return Rotation(enabled=feature == "ENABLED", grace_seconds=grace)


def normalize(client: dict) -> dict:
    """Bring a client of an older pool file to AWS's field names (`refresh_token_rotation: true/false`
    becomes `RefreshTokenRotation`), then check it. Changes `client` in place and returns it."""
    legacy = client.pop(LEGACY_FIELD, None)
    if FIELD not in client and legacy is not None:
        client[FIELD] = Rotation(enabled=legacy is True).as_config()
    rotation_of(client)
    return client
