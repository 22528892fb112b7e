"""Who is signed in to the dashboard, what they may see and do, and the token every form carries.

A session is a signed cookie (Starlette's SessionMiddleware) holding the account's id, the
account's session version (a new password or a removal ends every session), when it was last
used (an idle session ends) and the CSRF token of its forms."""
import hmac
import secrets
import time
from dataclasses import dataclass

from sqlalchemy.orm import Session
from starlette.requests import Request

from storage import users

SEEN_EVERY = 60  # seconds: how stale the "last used" time may get before the cookie is renewed


@dataclass(frozen=True)
class Account:
    """A signed-in dashboard user: an admin acts everywhere; otherwise a role per cluster."""

    id: int
    email: str
    is_admin: bool
    roles: dict[int, str]  # cluster id -> coordinator or viewer

    def role_in(self, cluster_id: int) -> str | None:
        return "admin" if self.is_admin else self.roles.get(cluster_id)

    def may_act(self, cluster_id: int) -> bool:
        return self.role_in(cluster_id) in ("admin", "coordinator")

    @property
    def actor(self) -> str:
        """How the audit log names what this user does."""
        return f"web:{self.email}"


def sign_in(request: Request, user) -> None:
    """Starts a new session for the user (a fresh token: one from before sign-in is not kept)."""
    language = request.session.get("lang")
    request.session.clear()
    request.session.update(uid=user.id, v=user.session_version, seen=int(time.time()),
                           csrf=secrets.token_urlsafe(32))
    if language:
        request.session["lang"] = language


def signed_in(request: Request, session: Session, idle_seconds: float) -> Account | None:
    """The account of this session, if it is still valid; an ended session is cleared."""
    data = request.session
    if "uid" not in data:
        return None
    now = int(time.time())
    user = users.by_id(session, data["uid"])
    if now - data.get("seen", 0) > idle_seconds or user is None or \
            user.session_version != data.get("v"):
        sign_out(request)
        return None
    if now - data["seen"] > SEEN_EVERY:
        data["seen"] = now
    return Account(user.id, user.email, user.is_admin,
                   {role.cluster_id: role.role for role in user.roles})


def sign_out(request: Request) -> None:
    language = request.session.get("lang")
    request.session.clear()
    if language:
        request.session["lang"] = language


def csrf_token(request: Request) -> str:
    """The token this session's forms carry (made on first use, before sign-in too)."""
    return request.session.setdefault("csrf", secrets.token_urlsafe(32))


def csrf_ok(request: Request, sent: str | None) -> bool:
    """Whether a state-changing request carries this session's token (a form field, or the
    X-CSRF-Token header of a script's request)."""
    expected = request.session.get("csrf")
    sent = sent or request.headers.get("x-csrf-token")
    return bool(expected and sent) and hmac.compare_digest(str(sent), expected)
