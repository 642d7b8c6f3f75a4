"""The typed session records: the sign-in (tokens and identity) and the dashboard's screen state.

The session stores plain dicts (the store serialises them; never a pickled object). `SignIn` is the
record under keys.SIGN_IN: what a sign-in is, and nothing a page click changes; `Screen` is the record
under keys.SCREEN: the latest result of each dashboard action, which the dashboard shows. A click that
only changes what the dashboard shows writes `Screen` and leaves the sign-in's tokens as they are.
A stored value that does not have a record's layout reads as absent (signed out / a blank screen),
never as an error.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any

from lab.display import shorten_response
from oauth.client import is_jwt
from oauth.kept import KeptVerification
from oauth.rotation import fingerprint, keep_rotated_out

from .keys import KEPT_ACROSS_LOGIN, SCREEN, SIGN_IN, Session


@dataclass
class SignIn:
    """One sign-in: its tokens, the checks made on them, and whose they are."""

    flow: str  # how the tokens came: "code" (the authorization-code grant)
    access_token: str = field(repr=False)
    login_at: int = 0  # when the user signed in (epoch seconds); the session's maximum age counts from it
    id_token: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    # the refresh token a rotation replaced, held server-side only for the dashboard's replay button (never
    # shown, traced or exported); dropped at the replay, the next refresh, or REPLAY_KEEP_SECONDS after its grace
    rotated_out: str | None = field(default=None, repr=False)
    # each token's checks as verified when it was stored, by the sign-in or the refresh that replaced it
    # (oauth/kept.py): what the dashboard shows, never verified again (None: no such token, or opaque)
    id_checks: KeptVerification | None = None
    access_checks: KeptVerification | None = None
    sub: str | None = None  # the verified ID token's subject, at sign-in
    iss: str | None = None  # the verified ID token's issuer, at sign-in (a refreshed ID token must have it too)
    expires_in: int | None = None  # the token response's, as sent
    refresh_revoked: bool = False
    # the provider skipped its sign-in form (lab/remembered.py): {"auth_time", "started"}, else None
    remembered: dict[str, int] | None = None

    @classmethod
    def from_tokens(
        cls,
        tokens: Mapping[str, Any],
        claims: Mapping[str, Any],
        *,
        id_checks: KeptVerification | None,
        access_checks: KeptVerification | None,
        flow: str,
        now: int,
    ) -> SignIn:
        """A new sign-in from a verified token response, its ID token's claims, and both tokens' checks."""
        expires_in = tokens.get("expires_in")
        sub, iss = claims.get("sub"), claims.get("iss")
        return cls(
            flow=flow,
            access_token=tokens["access_token"],
            login_at=now,
            id_token=tokens.get("id_token"),
            refresh_token=tokens.get("refresh_token"),
            id_checks=id_checks,
            access_checks=access_checks,
            sub=sub if isinstance(sub, str) else None,
            iss=iss if isinstance(iss, str) else None,
            expires_in=expires_in if type(expires_in) is int else None,
        )

    @classmethod
    def from_session(cls, data: Mapping[str, Any]) -> SignIn | None:
        """The sign-in stored in `data` (a session, or a session's stored dict), or None: signed out,
        or a stored value without this layout (an unknown key is ignored, a missing one takes its default).

        A token stored without its checks (a sign-in kept by a version before checks were kept) makes
        the whole record read as signed out: the dashboard never shows a token it cannot say was verified."""
        stored = data.get(SIGN_IN)
        if not isinstance(stored, Mapping) or not _has_layout(stored):
            return None
        values = {f.name: stored[f.name] for f in fields(cls) if f.name in stored}
        for name in _KEPT:
            values[name] = KeptVerification.from_stored(stored.get(name))
            if stored.get(name) is not None and values[name] is None:
                return None
        user = cls(**values)
        if (user.id_token and user.id_checks is None) or (is_jwt(user.access_token) and user.access_checks is None):
            return None
        return user

    @property
    def refresh_fingerprint(self) -> str | None:
        """The held refresh token told apart from others ("…" + 4 hex digits of its SHA-256), never shown."""
        return fingerprint(self.refresh_token) if self.refresh_token else None

    def drop_stale_rotated_out(self, rotation: Mapping[str, Any], now: float) -> bool:
        """Forget the rotated-out refresh token once the replay button can no longer use it (oauth/rotation.py:
        REPLAY_KEEP_SECONDS after its grace, or no rotation on record; `rotation` is the last refresh's record,
        Screen.last_refresh["rotation"]). True when it was dropped."""
        if self.rotated_out and not keep_rotated_out(rotation, now):
            self.rotated_out = None
            return True
        return False

    def revealable(self) -> set[str]:
        """The tokens its user may see in full: the access and ID tokens, never the refresh token."""
        return {t for t in (self.access_token, self.id_token) if t is not None}

    def to_dict(self) -> dict[str, Any]:
        """The stored form: a plain dict (the session store serialises it; never a pickled object)."""
        data = asdict(self)
        for name in _KEPT:
            kept = getattr(self, name)
            data[name] = None if kept is None else kept.to_stored()
        return data

    def save(self, store: Session) -> None:
        """Store this sign-in (its tokens changed: a sign-in, a refresh, a revocation)."""
        store[SIGN_IN] = self.to_dict()


def _accepted(hint: Any) -> tuple[type, ...]:
    """The runtime types a field's annotation allows: `str | None` -> (str, NoneType), `dict[str, Any]` -> (dict,);
    kept checks are stored as a list (KeptVerification.to_stored)."""
    members = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    return tuple(list if m is KeptVerification else typing.get_origin(m) or m for m in members)


def _layout(record: type) -> dict[str, tuple[type, ...]]:
    return {name: _accepted(hint) for name, hint in typing.get_type_hints(record).items()}


def _of_types(stored: Mapping[str, Any], layout: dict[str, tuple[type, ...]]) -> bool:
    """Each present key of its type (a bool is no int here)."""
    for name, accepted in layout.items():
        value = stored.get(name)
        if name in stored and (not isinstance(value, accepted) or (isinstance(value, bool) and bool not in accepted)):
            return False
    return True


# the stored layout, from the dataclass itself: each key's accepted types, and the keys without a default
_LAYOUT = _layout(SignIn)
_REQUIRED = tuple(f.name for f in fields(SignIn) if f.default is MISSING and f.default_factory is MISSING)
_KEPT = ("id_checks", "access_checks")


def _has_layout(stored: Mapping[str, Any]) -> bool:
    """Every required key present, a non-empty access token, and each present key of its type."""
    if any(name not in stored for name in _REQUIRED) or not stored["access_token"]:
        return False
    return _of_types(stored, _LAYOUT)


def is_signed_in(data: Mapping[str, Any]) -> bool:
    """Whether `data` (a session's stored dict) holds a sign-in; for the session store, outside a request."""
    return SignIn.from_session(data) is not None


def start(store: Session, user: SignIn) -> None:
    """A new sign-in's data: the session is cleared except the keys kept across login, and holds `user`
    (the caller gives the session a new id: Context.renew)."""
    kept = {k: store[k] for k in KEPT_ACROSS_LOGIN if k in store}
    store.clear()
    store.update(kept)
    user.save(store)


@dataclass
class Screen:
    """What the dashboard shows besides the tokens: the token endpoint's latest answer (shortened, the refresh
    token hidden) and the latest result of each lifecycle action, with which one it shows (the latest only)."""

    token_response: dict[str, Any] = field(default_factory=dict, repr=False)
    last_refresh: dict[str, Any] | None = None
    userinfo: dict[str, Any] | None = None
    api_call: dict[str, Any] | None = None
    last_action: str | None = None

    @classmethod
    def for_tokens(cls, tokens: Mapping[str, Any]) -> Screen:
        """The screen of a new sign-in: the token response it came with, nothing else yet."""
        return cls(token_response=shorten_response(dict(tokens)))

    @classmethod
    def load(cls, store: Mapping[str, Any]) -> Screen:
        """The stored screen state, or a blank one (absent, or without this layout)."""
        stored = store.get(SCREEN)
        if not isinstance(stored, Mapping) or not _of_types(stored, _SCREEN_LAYOUT):
            return cls()
        return cls(**{f.name: stored[f.name] for f in fields(cls) if f.name in stored})

    def save(self, store: Session, action: str | None = None) -> None:
        """Store the screen state; `action` names the result the dashboard shows now."""
        if action:
            self.last_action = action
        store[SCREEN] = asdict(self)


_SCREEN_LAYOUT = _layout(Screen)
