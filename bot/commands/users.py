"""`clusterbot user ...`: dashboard accounts (admins, coordinators and viewers of clusters)."""
import sys
from typing import Annotated

import typer

from bot import accounts
from bot.commands.common import USAGE, cluster_named, fail, open_database, out, reported
from bot.settings import get_settings
from storage import users
from storage.db import unit_of_work

app = typer.Typer(help="Dashboard accounts.", no_args_is_help=True)
ACTOR = "cli"


def read_password() -> str:
    """The password from stdin when it is not a terminal (a script), else asked twice."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@app.command("add")
@reported
def add(
    email: Annotated[str, typer.Argument(help="The person's email: their sign-in name.")],
    role: Annotated[str, typer.Option(
        help="admin (every cluster and the users), coordinator (acts for the clusters named) or "
             "viewer (reads them; never sees phone numbers).")],
    cluster: Annotated[list[str] | None, typer.Option(
        help="Slug of a cluster network the coordinator or viewer works in; may repeat.")] = None,
):
    """Create a dashboard account; the password is read from stdin (or asked twice)."""
    if role not in accounts.ROLES:
        raise fail(f"--role must be one of {', '.join(accounts.ROLES)}", USAGE)
    with unit_of_work(open_database(get_settings())) as session:
        networks = [cluster_named(session, slug) for slug in cluster or []]
        try:
            accounts.add_user(session, email, read_password(), role, networks, ACTOR)
        except accounts.AccountError as error:
            raise fail(str(error)) from None
    out.print(f"{email.strip().lower()}: {role}" +
              (f" of {', '.join(cluster)}" if cluster and role != "admin" else ""))


@app.command("list")
@reported
def list_users():
    """Print every account with its role in each cluster."""
    with unit_of_work(open_database(get_settings())) as session:
        for user in users.all_users(session):
            roles = "admin" if user.is_admin else ", ".join(
                f"{role.role} of {role.cluster.slug}" for role in user.roles) or "no role"
            out.print(f"{user.email}  {roles}")


@app.command("remove")
@reported
def remove(email: Annotated[str, typer.Argument(help="The account's email.")]):
    """Delete the account; its open sessions end."""
    with unit_of_work(open_database(get_settings())) as session:
        accounts.remove_user(session, account_named(session, email), ACTOR)
    out.print(f"removed {email}")


@app.command("password")
@reported
def password(email: Annotated[str, typer.Argument(help="The account's email.")]):
    """Set a new password (read from stdin, or asked twice); the account's sessions end."""
    with unit_of_work(open_database(get_settings())) as session:
        try:
            accounts.set_password(session, account_named(session, email), read_password(), ACTOR)
        except accounts.AccountError as error:
            raise fail(str(error)) from None
    out.print(f"new password for {email}")


def account_named(session, email: str):
    user = users.by_email(session, email)
    if user is None:
        raise fail(f"no account {email}")
    return user
