"""What the tests (and `make bench`) share: real servers, the app + provider stack, form helpers.

Import from here (`from tests.support import answer`); conftest.py holds only the fixtures.
"""

from .pages import extract
from .servers import LiveServer, TokenRewriter, answer, free_port, start_redis, stop
from .stack import Stack, build_stack

__all__ = [
    "LiveServer",
    "Stack",
    "TokenRewriter",
    "answer",
    "build_stack",
    "extract",
    "free_port",
    "start_redis",
    "stop",
]
