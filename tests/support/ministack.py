"""MiniStack, an AWS emulator written by others (pip `ministack`), on a free loopback port: the
Cognito management API and managed-login OAuth endpoints on one port, for the emulator tests.
`make test` installs it in its own virtualenv (tests/ministack/requirements.txt says why)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import requests

from .servers import free_port

PYTHON = Path(__file__).resolve().parent.parent / "ministack" / ".venv" / "bin" / "python"


def start_ministack(directory: Path) -> tuple[subprocess.Popen, str]:
    """Start MiniStack with only Cognito, bound to 127.0.0.1, its state in `directory`; wait until healthy."""
    assert PYTHON.exists(), "MiniStack is missing: `make test` installs it (tests/ministack/requirements.txt)"
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "GATEWAY_PORT": str(port),
        "BIND_HOST": "127.0.0.1",
        "MINISTACK_HOST": "127.0.0.1",  # the host its discovery document names
        "SERVICES": "cognito-idp,cognito-identity",
        "STATE_DIR": str(directory),
        "S3_DATA_DIR": str(directory / "s3"),
        "TMPDIR": str(directory),
        "LOG_LEVEL": "WARNING",
    }
    with (directory / "ministack.log").open("wb") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen([str(PYTHON), "-m", "ministack"], env=env, cwd=directory, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, (directory / "ministack.log").read_text()[-2000:]
        try:
            if requests.get(f"{url}/_ministack/health", timeout=1).ok:
                return proc, url
        except requests.ConnectionError:
            time.sleep(0.1)
    proc.terminate()
    raise AssertionError("MiniStack did not answer within 60 s")
