"""The flows' Context for this request: the app's client and resource server, its session, its trace."""

from __future__ import annotations

from flask import current_app, session

from flows.context import Context
from flows.keys import TRACE_ID
from oauth.resource_server import ResourceServer
from tracing import recorder

from . import antiforgery, oauth_client, settings, signin


def _renew() -> None:
    """A new identity for this browser at sign-in: a new session id and a new anti-forgery token."""
    signin.new_session_id()
    antiforgery.rotate()


def resource_server() -> ResourceServer:
    found: ResourceServer = current_app.extensions["resource_server"]
    return found


def flow_context() -> Context:
    return Context(
        client=oauth_client(),
        session=session,
        trace=recorder,
        signer=antiforgery.signer(),
        resource=resource_server(),
        renew=_renew,
        grace_seconds=settings().refresh_token_grace_seconds,
    )


class TraceIdSlot:
    """Where this request's session records its trace id (flows/keys.py's TRACE_ID), for tracing/recorder.py."""

    def get(self) -> str | None:
        return TRACE_ID.get(session)

    def set(self, value: str) -> None:
        TRACE_ID.set(value, session)
