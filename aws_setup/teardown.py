"""`cognito teardown`: delete what setup created (the ledger), checking first what would stop it halfway."""

from __future__ import annotations

from .api import CognitoApi, SetupError

# https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-deletion-protection.html:
# DeleteUserPool on a protected pool fails with InvalidParameterException; deactivate it first.
PROTECTED = (
    "The user pool {pool} has deletion protection on, so AWS would refuse to delete it: nothing was deleted. "
    "Turn it off in the console (User pools → {pool} → Settings → Deletion protection → Deactivate), then run "
    "teardown again. (UpdateUserPool with DeletionProtection=INACTIVE also turns it off, but it resets every pool "
    "setting the request leaves out, so prefer the console.)"
)


def _delete(api: CognitoApi, item: dict) -> bool:
    """Delete one thing setup created (not a pool); False when there was nothing of ours to delete."""
    kind = item["type"]
    if kind == "domain":
        if api.domain_owner(item["id"]) != item["pool"]:
            return False  # already deleted (or now someone else's): nothing of ours to remove
        _delete_domain(api, item["id"], item["pool"])
    elif kind == "branding":
        deleted = api._call(
            "delete the managed login branding style",
            "delete_managed_login_branding",
            missing_ok=True,
            ManagedLoginBrandingId=item["id"],
            UserPoolId=item["pool"],
        )
        return deleted is not None
    elif kind == "client":
        api._call("delete an app client", "delete_user_pool_client", UserPoolId=item["pool"], ClientId=item["id"])
    elif kind == "resource_server":
        api._call(
            "delete the resource server", "delete_resource_server", UserPoolId=item["pool"], Identifier=item["id"]
        )
    elif kind == "user":
        api._call("delete the test user", "admin_delete_user", UserPoolId=item["pool"], Username=item["id"])
    return True


def _delete_domain(api: CognitoApi, domain: str, pool_id: str) -> None:
    """Delete a domain and wait until it is gone: AWS refuses to delete a pool while it still has one."""
    api._call("delete the domain", "delete_user_pool_domain", Domain=domain, UserPoolId=pool_id)
    status = api.wait_for_domain(domain, want="gone")
    if status != "gone":
        raise SetupError(
            f"The domain {domain} is still {status} after {api.domain_wait_seconds:.0f} s, so the user pool cannot "
            "be deleted yet. Run teardown again in a minute: what is already deleted stays deleted."
        )


def _live_pools(api: CognitoApi, created: list[dict]) -> dict[str, dict]:
    """The pools setup created that still exist, described; refuses before any deletion if one is protected."""
    pools = {}
    for item in created:
        if item["type"] != "user_pool":
            continue
        found = api._call("describe the user pool", "describe_user_pool", missing_ok=True, UserPoolId=item["id"])
        if found is None:
            continue
        if found["UserPool"].get("DeletionProtection") == "ACTIVE":
            raise SetupError(PROTECTED.format(pool=item["id"]))
        pools[item["id"]] = found["UserPool"]
    return pools


def teardown(api: CognitoApi, created: list[dict]) -> list[str]:
    """Delete what setup created, newest first; each pool last (it takes its clients, resource server and
    users with it). AWS refuses to delete a pool that still has a domain, so every domain on it goes first,
    also one added by hand in the console, and teardown waits until each is gone."""
    pools = _live_pools(api, created)
    done = [
        f"user pool {c['id']} was already deleted" for c in created if c["type"] == "user_pool" and c["id"] not in pools
    ]
    gone_domains: set[str] = set()
    for item in reversed(created):
        kind = item["type"]
        if kind == "user_pool" or (item.get("pool") in pools and kind in ("client", "resource_server", "user")):
            continue  # pools last; their clients, resource server and users go with them
        if not _delete(api, item):
            continue
        if kind == "domain":
            gone_domains.add(item["id"])
        done.append(f"deleted {kind.replace('_', ' ')} {item['id']}")
    for pool_id, described in pools.items():
        for domain in (described.get("CustomDomain"), described.get("Domain")):
            if domain and domain not in gone_domains:
                _delete_domain(api, domain, pool_id)
                done.append(f"deleted domain {domain} (found on the pool)")
        api._call("delete the user pool", "delete_user_pool", UserPoolId=pool_id)
        done.append(f"deleted user pool {pool_id} (with its clients, resource server and users)")
    return done
