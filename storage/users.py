"""Dashboard accounts: users, their roles per cluster, and failed sign-ins."""
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from storage.models import AppSecret, SignInFailure, User, UserRole

ROLES = ("coordinator", "viewer")


def by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower())
                          .options(selectinload(User.roles)))


def by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id, options=[selectinload(User.roles)])


def all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)
                                .options(selectinload(User.roles).selectinload(UserRole.cluster))))


def add(session: Session, email: str, password_hash: str, *, is_admin: bool = False) -> User:
    user = User(email=email.strip().lower(), password_hash=password_hash, is_admin=is_admin)
    session.add(user)
    session.flush()
    return user


def grant(session: Session, user: User, cluster_id: int, role: str) -> None:
    """Gives the user `role` in the cluster (replacing the role they had there)."""
    existing = next((r for r in user.roles if r.cluster_id == cluster_id), None)
    if existing:
        existing.role = role
    else:
        user.roles.append(UserRole(cluster_id=cluster_id, role=role))
    session.flush()


def remove(session: Session, user: User) -> None:
    session.delete(user)
    session.flush()


def failures(session: Session, email: str, address: str, since: datetime) -> tuple[int, int]:
    """Wrong passwords since `since`: (for this account, from this address)."""
    recent = SignInFailure.at >= since
    by_account = session.scalar(select(func.count()).where(recent, SignInFailure.email == email))
    by_address = session.scalar(select(func.count()).where(recent,
                                                           SignInFailure.address == address))
    return by_account or 0, by_address or 0


def record_failure(session: Session, email: str, address: str, at: datetime) -> None:
    session.add(SignInFailure(email=email[:254], address=address[:64], at=at))


def forget_failures(session: Session, before: datetime) -> None:
    session.execute(delete(SignInFailure).where(SignInFailure.at < before))


def shared_secret(session: Session, name: str, make) -> str:
    """The deployment's secret called `name`, made with `make()` and stored on first use (the
    first process to store it wins; the others read it)."""
    found = session.get(AppSecret, name)
    if found is None:
        try:
            with session.begin_nested():
                session.add(AppSecret(name=name, value=make()))
        except IntegrityError:
            pass  # another process stored it first
        found = session.get(AppSecret, name, populate_existing=True)
    return found.value
