"""What setup created, recorded in `instance/cognito-setup.json` the moment each resource exists.

Teardown deletes only what is listed here. A run that fails halfway has already recorded what
it made, so teardown can remove it; a later run keeps every entry an earlier run wrote (a pool
it reuses stays this app's to delete).
"""

from __future__ import annotations

import json
from pathlib import Path


def load_state(path: Path) -> dict:
    try:
        state = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {"created": []}
    return state if isinstance(state, dict) and isinstance(state.get("created"), list) else {"created": []}


def save_state(path: Path, region: str, created: list[dict]) -> None:
    """Add `created` to the ledger (entries already there are kept, never duplicated)."""
    state = load_state(path)
    state["region"] = region
    state["created"] += [c for c in created if c not in state["created"]]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state, indent=2))
    tmp.replace(path)  # a crash mid-write never leaves half a ledger


def owns(path: Path, kind: str, resource_id: str) -> bool:
    return any(c["type"] == kind and c["id"] == resource_id for c in load_state(path)["created"])
