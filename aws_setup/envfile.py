"""Update `.env` in place: change or add keys, keep every other line (comments included)."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")


def update_env_file(path: Path, values: dict[str, str]) -> list[str]:
    """Set `values` in the file; return the keys whose value changed or were added."""
    lines = path.read_text().splitlines() if path.exists() else []
    current: dict[str, str] = {}
    changed: list[str] = []
    seen: set[str] = set()
    out: list[str] = []
    for line in lines:
        match = LINE.match(line)
        if match and match.group(1) in values:
            key = match.group(1)
            current[key] = line.split("=", 1)[1].strip().strip("'\"")
            if key in seen:
                continue  # a duplicate assignment: the one we write wins
            seen.add(key)
            if current[key] != values[key]:
                changed.append(key)
            out.append(f"{key}={values[key]}")
        else:
            out.append(line)
    missing = [k for k in values if k not in seen]
    if missing:
        if out and out[-1].strip():
            out.append("")
        out.append("# Written by `flask --app app cognito setup`")
        for key in missing:
            out.append(f"{key}={values[key]}")
            changed.append(key)
    if changed:
        _write_private(path, "\n".join(out) + "\n")
    return changed


def _write_private(path: Path, text: str) -> None:
    """Replace `path` atomically with a file that is mode 0600 from its first byte (it holds the client secret)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
