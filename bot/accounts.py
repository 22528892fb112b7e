"""Dashboard accounts: the verbs `clusterbot user …` and the dashboard call (each writes its
audit row), and the sign-in check with its throttle."""
import re
from datetime import datetime, timedelta
from functools import lru_cache

from pwdlib import PasswordHash
from sqlalchemy.orm import Session

from storage import audit, users
from storage.models import Cluster, User

ROLES = ("admin", *users.ROLES)
MIN_PASSWORD = 10
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# Wrong passwords counted over FAILURE_WINDOW: past either limit, sign-in answers 429.
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20


class AccountError(ValueError):
    """What the operator asked for cannot be done; the message says why."""


class Throttled(Exception):
    """Too many wrong passwords lately for this account or from this address."""


@lru_cache
def hasher() -> PasswordHash:
    return PasswordHash.recommended()  # argon2id


@lru_cache
def decoy_hash() -> str:
    """Checked against when the email is unknown, so that takes as long as a wrong password."""
    return hasher().hash("no account has this password")


def checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
    return password


def add_user(session: Session, email: str, password: str, role: str, clusters: list[Cluster],
             actor: audit.Actor) -> User:
    """A new account: an admin (every cluster), or a coordinator or viewer of `clusters`."""
    email = email.strip().lower()
    if not EMAIL.fullmatch(email):
        raise AccountError(f"{email!r} is not an email address")
    if role not in ROLES:
        raise AccountError(f"the role is one of {', '.join(ROLES)}")
    if role != "admin" and not clusters:
        raise AccountError(f"a {role} needs at least one --cluster")
    if users.by_email(session, email):
        raise AccountError(f"{email} already has an account")
    user = users.add(session, email, hasher().hash(checked_password(password)),
                     is_admin=role == "admin")
    for cluster in clusters if role != "admin" else []:
        users.grant(session, user, cluster.id, role)
    audit.record(session, action="user.add", actor=actor, user=email, role=role,
                 clusters=[c.slug for c in clusters])
    return user


def set_password(session: Session, user: User, password: str, actor: audit.Actor) -> None:
    """A new password; every session of the account ends."""
    user.password_hash = hasher().hash(checked_password(password))
    user.session_version += 1
    audit.record(session, action="user.password", actor=actor, user=user.email)


def remove_user(session: Session, user: User, actor: audit.Actor) -> None:
    audit.record(session, action="user.remove", actor=actor, user=user.email)
    users.remove(session, user)


def sign_in(session: Session, email: str, password: str, address: str,
            now: datetime) -> User | None:
    """The account when the password is right; None when not (the failure is counted).
    Raises Throttled, before looking at the password, past the limits."""
    email = email.strip().lower()[:254]
    for_account, from_address = users.failures(session, email, address, now - FAILURE_WINDOW)
    if for_account >= MAX_FAILURES_PER_ACCOUNT or from_address >= MAX_FAILURES_PER_ADDRESS:
        raise Throttled
    user = users.by_email(session, email)
    valid, new_hash = hasher().verify_and_update(password, user.password_hash if user else
                                                 decoy_hash())
    if user is None or not valid:
        users.record_failure(session, email, address, now)
        return None
    if new_hash:
        user.password_hash = new_hash
    users.forget_failures(session, now - FAILURE_WINDOW)
    return user
