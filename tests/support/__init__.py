"""What the tests (and `make bench`) share: real servers, the app + provider stack, form helpers.

Import from here (`from tests.support import answer`); conftest.py holds only the fixtures.
"""

from .pages import csrf_of, extract, script_csrf_of
from .servers import (
    LiveServer,
    LowercaseHeaders,
    TokenRewriter,
    answer,
    free_port,
    launch_app,
    start_redis,
    stop,
    wait_until_healthy,
)
from .stack import VERIFIER, Stack, authorize_params, build_stack, offline_app

__all__ = [
    "VERIFIER",
    "LiveServer",
    "LowercaseHeaders",
    "Stack",
    "TokenRewriter",
    "answer",
    "authorize_params",
    "build_stack",
    "csrf_of",
    "extract",
    "free_port",
    "launch_app",
    "offline_app",
    "script_csrf_of",
    "start_redis",
    "stop",
    "wait_until_healthy",
]
