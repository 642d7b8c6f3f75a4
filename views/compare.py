"""The code flow, the implicit flow and the browser-only flow side by side, from this browser's last run of each."""

from __future__ import annotations

from flask import Blueprint, render_template, session

from flows.keys import CODE_RUN, IMPLICIT_RUN, SPA_RUN
from lab.compare import CODE_SEQUENCE, IMPLICIT_SEQUENCE, SPA_SEQUENCE, compare_rows
from lab.rotation import client_rotation

from . import settings

bp = Blueprint("compare", __name__)


@bp.get("/compare")
def compare() -> str:
    code_run, implicit_run, spa_run = CODE_RUN.get(session), IMPLICIT_RUN.get(session), SPA_RUN.get(session)
    s = settings()
    rotation = client_rotation(s.refresh_token_grace_seconds, s.client.local_provider)
    local = s.client.local_provider  # only the local pool file says how the public client rotates
    spa_rotation = client_rotation(s.public_refresh_grace_seconds, local, "the public client") if local else ""
    return render_template(
        "compare.html",
        rows=compare_rows(code_run, implicit_run, spa_run, rotation, spa_rotation),
        code_run=code_run,
        implicit_run=implicit_run,
        spa_run=spa_run,
        code_sequence=CODE_SEQUENCE,
        implicit_sequence=IMPLICIT_SEQUENCE,
        spa_sequence=SPA_SEQUENCE,
    )
