"""Make the moto-backed tests check what real AWS checks.

- `strict_params`: every call's parameters against botocore's Cognito service model, including
  what botocore's own client-side validation skips (maximum lengths, enums, patterns, ranges).
- `AwsLikeMoto`: patches to moto's in-process backend where moto differs from the documented
  AWS behaviour (UpdateUserPoolClient resets omitted fields; a taken domain prefix is refused;
  a new domain is CREATING before ACTIVE; a pool with a domain cannot be deleted; domains keep
  their ManagedLoginVersion; a deleted domain is DELETING for a while; a pool with deletion protection
  cannot be deleted).
- `SplitClient`: sends the operations moto lacks (managed login branding) to a botocore
  Stubber, everything else to moto.
"""

from __future__ import annotations

import re
from typing import Any

from botocore.stub import Stubber

# Operations moto 5 does not implement: only these go to the Stubber.
MOTO_LACKS = (
    "create_managed_login_branding",
    "describe_managed_login_branding_by_client",
    "delete_managed_login_branding",
)


def _check(shape, value: Any, path: str, problems: list[str]) -> None:
    kind = shape.type_name
    if kind == "structure":
        _check_structure(shape, value, path, problems)
    elif kind == "list":
        if _outside(shape.metadata, len(value)):
            problems.append(f"{path}: {len(value)} items, model allows {_bounds(shape.metadata)}")
        for i, item in enumerate(value):
            _check(shape.member, item, f"{path}[{i}]", problems)
    elif kind == "map":
        for key, item in value.items():
            _check(shape.key, key, f"{path}<key>", problems)
            _check(shape.value, item, f"{path}[{key}]", problems)
    elif kind == "string":
        _check_string(shape, value, path, problems)
    elif kind in ("integer", "long") and _outside(shape.metadata, value):
        problems.append(f"{path}: {value} outside {_bounds(shape.metadata)}")


def _outside(meta: dict, number: int) -> bool:
    return ("min" in meta and number < meta["min"]) or ("max" in meta and number > meta["max"])


def _bounds(meta: dict) -> str:
    return f"{meta.get('min')}..{meta.get('max')}"


def _check_structure(shape, value: Any, path: str, problems: list[str]) -> None:
    for name in shape.required_members:
        if name not in value:
            problems.append(f"{path}.{name}: required")
    for name, item in value.items():
        if name not in shape.members:
            problems.append(f"{path}.{name}: not in the model")
        else:
            _check(shape.members[name], item, f"{path}.{name}", problems)


def _check_string(shape, value: str, path: str, problems: list[str]) -> None:
    meta = shape.metadata
    if shape.enum and value not in shape.enum:
        problems.append(f"{path}: {value!r} not one of {shape.enum}")
    if _outside(meta, len(value)):
        problems.append(f"{path}: length {len(value)}, model allows {_bounds(meta)}")
    pattern = meta.get("pattern")
    # Java's \p{..} classes have no `re` equivalent; those patterns are left to botocore/AWS.
    if pattern and "\\p{" not in pattern and not re.search(pattern, value):
        problems.append(f"{path}: {value!r} does not match {pattern}")


def strict_params(client, calls: list[str] | None = None) -> None:
    """Validate every call on `client` against the service model; record operation names in `calls`."""

    def handler(params, model, **_):
        problems: list[str] = []
        _check(model.input_shape, params, model.name, problems)
        assert not problems, f"{model.name} would be refused by AWS: {problems}"
        if calls is not None:
            calls.append(model.name)

    client.meta.events.register("provide-client-params.cognito-idp.*", handler)


class SplitClient:
    """A boto3 Cognito client: moto for what moto implements, a Stubber for the rest."""

    def __init__(self, moto_client, stubbed_client, stubber: Stubber):
        self._moto = moto_client
        self._stubbed = stubbed_client
        self.stubber = stubber

    def __getattr__(self, name: str):
        return getattr(self._stubbed if name in MOTO_LACKS else self._moto, name)


class AwsLikeMoto:
    """Patches to moto's backend (same process: ThreadedMotoServer) so it behaves like AWS."""

    def __init__(self, monkeypatch):
        from moto.cognitoidp import models, responses
        from moto.cognitoidp.exceptions import InvalidParameterException

        self.creating_polls = 0  # how many DescribeUserPoolDomain calls see CREATING after a create
        self.deleting_polls = 0  # how many DescribeUserPoolDomain calls still see a deleted domain (DELETING)
        self.deleting: dict[str, int] = {}
        self.update_requests: list[dict] = []
        versions: dict[str, int] = {}
        pending: dict[str, int] = {}
        backend = models.CognitoIdpBackend
        outer = self

        original_update = backend.update_user_pool_client

        def update_user_pool_client(self, user_pool_id, client_id, extended_config):
            # AWS: "If you don't provide a value for an attribute, it is set to its default value."
            outer.update_requests.append(dict(extended_config))
            client = self.describe_user_pool(user_pool_id).clients.get(client_id)
            if client is not None:
                client.extended_config = {
                    "AllowedOAuthFlowsUserPoolClient": False,
                    "AuthSessionValidity": 3,
                    "EnablePropagateAdditionalUserContextData": False,
                    "EnableTokenRevocation": True,
                    "RefreshTokenValidity": 30,
                    "PreventUserExistenceErrors": "LEGACY",
                }
            return original_update(self, user_pool_id, client_id, extended_config)

        original_create_domain = backend.create_user_pool_domain

        def create_user_pool_domain(self, user_pool_id, domain, custom_domain_config=None):
            taken = self.user_pool_domains.get(domain)
            if taken is not None and taken.user_pool_id != user_pool_id:
                raise InvalidParameterException("Domain already associated with another user pool.")
            pending[domain] = outer.creating_polls
            return original_create_domain(self, user_pool_id, domain, custom_domain_config)

        self._patch_deletions(monkeypatch, backend, InvalidParameterException)

        original_to_json = models.CognitoIdpUserPoolDomain.to_json

        def domain_to_json(self, extended: bool = True):
            data = original_to_json(self, extended)
            data["ManagedLoginVersion"] = versions.get(self.domain, 1)
            if self.domain in outer.deleting:
                data["Status"] = "DELETING"
            elif extended and pending.get(self.domain, 0) > 0:
                pending[self.domain] -= 1
                data["Status"] = "CREATING"
            return data

        original_response = responses.CognitoIdpResponse.create_user_pool_domain

        def create_domain_response(self):
            versions[self._get_param("Domain")] = self._get_param("ManagedLoginVersion") or 1
            return original_response(self)

        monkeypatch.setattr(backend, "update_user_pool_client", update_user_pool_client)
        monkeypatch.setattr(backend, "create_user_pool_domain", create_user_pool_domain)
        monkeypatch.setattr(models.CognitoIdpUserPoolDomain, "to_json", domain_to_json)
        monkeypatch.setattr(responses.CognitoIdpResponse, "create_user_pool_domain", create_domain_response)

    def _patch_deletions(self, monkeypatch, backend, InvalidParameterException) -> None:
        """A deleted domain stays DELETING for `deleting_polls` lookups; a pool with a domain, or with
        deletion protection on, cannot be deleted."""
        outer = self
        original_delete_pool = backend.delete_user_pool
        original_delete_domain = backend.delete_user_pool_domain
        original_describe_domain = backend.describe_user_pool_domain

        def delete_user_pool_domain(self, domain):
            if outer.deleting_polls and domain in self.user_pool_domains:
                outer.deleting[domain] = outer.deleting_polls  # AWS takes a while; the pool keeps it until then
                return None
            return original_delete_domain(self, domain)

        def describe_user_pool_domain(self, domain):
            if domain in outer.deleting:
                outer.deleting[domain] -= 1
                if outer.deleting[domain] < 0:
                    del outer.deleting[domain]
                    original_delete_domain(self, domain)
                    return None
            return original_describe_domain(self, domain)

        def delete_user_pool(self, user_pool_id):
            pool = self.user_pools.get(user_pool_id)
            if pool is not None and pool.extended_config.get("DeletionProtection") == "ACTIVE":
                # https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-deletion-protection.html
                raise InvalidParameterException(
                    "The user pool cannot be deleted because deletion protection is activated."
                )
            if any(d.user_pool_id == user_pool_id for d in self.user_pool_domains.values()):
                raise InvalidParameterException(
                    "User pool cannot be deleted. It has a domain configured that should be deleted first."
                )
            return original_delete_pool(self, user_pool_id)

        monkeypatch.setattr(backend, "delete_user_pool", delete_user_pool)
        monkeypatch.setattr(backend, "delete_user_pool_domain", delete_user_pool_domain)
        monkeypatch.setattr(backend, "describe_user_pool_domain", describe_user_pool_domain)
