"""`feedbackwall users ...` and `feedbackwall displays ...`: people, API tokens, wall screens."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from dashapp.access.roles import Role
from dashapp.cli.common import load_settings, open_store

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

# The access modules (Argon2, the store) are imported by the commands that use them,
# so that defining the commands loads none of them.

ROLE_NAMES = [r.name for r in Role]


def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


@click.group()
def users_group() -> None:
    """People who sign in: add, list, reset, change role, disable; API tokens; the first admin."""


@users_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLE_NAMES), default="analyst", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_add(name: str, role: str, password_stdin: bool) -> None:
    """Add a user called NAME (asks for the password twice)."""
    from dashapp.access import users
    from dashapp.access.users import UserError

    password = _password(password_stdin)
    sessions = open_store(load_settings())
    try:
        with sessions.begin() as session:
            users.create(session, name, password, Role[role])
    except UserError as exc:
        raise _fail(exc) from None
    click.echo(f"added {name} ({role})")


@users_group.command("list")
def users_list() -> None:
    """Every user with role, state and last sign-in (UTC)."""
    from dashapp.access import users

    sessions = open_store(load_settings())
    with sessions() as session:
        people = users.listing(session)
    if not people:
        click.echo("no users yet: `feedbackwall users first-admin-link` or `users add`")
    for user in people:
        state = "disabled" if user.disabled_at else "active"
        last = f"{user.last_login_at:%Y-%m-%d %H:%M}" if user.last_login_at else "never"
        click.echo(f"{user.name}\t{user.role}\t{state}\tlast sign-in {last}")


@users_group.command("reset")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_reset(name: str, password_stdin: bool) -> None:
    """Give NAME a new password; their open sessions end."""
    from dashapp.access import users
    from dashapp.access.users import UserError

    password = _password(password_stdin)
    sessions = open_store(load_settings())
    try:
        with sessions.begin() as session:
            users.reset_password(session, name, password)
    except UserError as exc:
        raise _fail(exc) from None
    click.echo(f"password of {name} reset; their sessions have ended")


@users_group.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLE_NAMES))
def users_role(name: str, role: str) -> None:
    """Give NAME the role ROLE (their open sessions end)."""
    from dashapp.access import users
    from dashapp.access.users import UserError

    sessions = open_store(load_settings())
    try:
        with sessions.begin() as session:
            users.set_role(session, name, Role[role])
    except UserError as exc:
        raise _fail(exc) from None
    click.echo(f"{name} is now {role}")


@users_group.command("disable")
@click.argument("name")
@click.option("--enable", is_flag=True, help="Enable a disabled user again.")
def users_disable(name: str, enable: bool) -> None:
    """Disable NAME: sessions and API tokens stop working at once (or --enable again)."""
    from dashapp.access import users
    from dashapp.access.users import UserError

    sessions = open_store(load_settings())
    try:
        with sessions.begin() as session:
            users.set_disabled(session, name, not enable)
    except UserError as exc:
        raise _fail(exc) from None
    click.echo(f"{name} {'enabled' if enable else 'disabled'}")


@users_group.command("token")
@click.argument("name")
@click.option("--label", default="cli", show_default=True, help="What the token is for.")
def users_token(name: str, label: str) -> None:
    """Print a new API token acting as NAME (shown once; only its digest is stored)."""
    from dashapp.access import tokens as access_tokens
    from dashapp.access import users
    from dashapp.access.tokens import TokenError
    from dashapp.access.users import UserError

    sessions = open_store(load_settings())
    try:
        with sessions.begin() as session:
            user = users.by_name(session, name)
            if user is None:
                raise UserError(f"name: no user called {name!r}")
            token = access_tokens.issue_api(session, user, label)
    except (UserError, TokenError) as exc:
        raise _fail(exc) from None
    click.echo(token)


@users_group.command("first-admin-link")
@click.option("--base-url", default="http://127.0.0.1:8050", show_default=True)
def users_first_admin_link(base_url: str) -> None:
    """Print a one-time link (valid 24 h) creating the first admin, while no user exists."""
    sessions = open_store(load_settings())
    link = first_admin_link(sessions, base_url)
    if link is None:
        raise click.ClickException("users exist already: an admin adds more (`users add`)")
    click.echo(link)


def first_admin_link(sessions: sessionmaker[Session], base_url: str) -> str | None:
    """A fresh first-admin link when the store has no users, else None."""
    from dashapp.access import tokens as access_tokens
    from dashapp.access import users

    with sessions.begin() as session:
        if users.count(session):
            return None
        token = access_tokens.issue_setup(session)
    return f"{base_url.rstrip('/')}/setup?token={token}"


@click.group()
def displays_group() -> None:
    """Wall screens: display links that keep a screen on the viewer pages until revoked."""


@displays_group.command("add")
@click.argument("name")
@click.option("--base-url", default="http://127.0.0.1:8050", show_default=True)
@click.option("--query", default="", help="Kiosk options, e.g. 'playlist=lobby'.")
def displays_add(name: str, base_url: str, query: str) -> None:
    """Print the display link for a new screen called NAME (shown once)."""
    from dashapp.access import tokens as access_tokens
    from dashapp.access.tokens import TokenError

    sessions = open_store(load_settings())
    try:
        with sessions.begin() as session:
            token = access_tokens.issue_display(session, name)
    except TokenError as exc:
        raise _fail(exc) from None
    extra = f"&{query.lstrip('?&')}" if query else ""
    click.echo(f"{base_url.rstrip('/')}/kiosk?token={token}{extra}")


@displays_group.command("list")
def displays_list() -> None:
    """The screens with a live display link, and when each was last seen (UTC)."""
    from dashapp.access import tokens as access_tokens
    from dashapp.access.tokens import Kind

    sessions = open_store(load_settings())
    with sessions() as session:
        screens = access_tokens.listing(session, Kind.display)
    if not screens:
        click.echo("no screens yet: `feedbackwall displays add NAME`")
    for screen in screens:
        seen = f"{screen.last_used_at:%Y-%m-%d %H:%M}" if screen.last_used_at else "never"
        click.echo(f"{screen.name}\tmade {screen.created_at:%Y-%m-%d}\tlast seen {seen}")


@displays_group.command("revoke")
@click.argument("name")
def displays_revoke(name: str) -> None:
    """Revoke the screen NAME: it shows "access revoked" at its next request."""
    from dashapp.access import tokens as access_tokens
    from dashapp.access.tokens import Kind

    sessions = open_store(load_settings())
    with sessions.begin() as session:
        done = access_tokens.revoke_named(session, Kind.display, name)
    if not done:
        raise click.ClickException(f"name: no live screen called {name!r}")
    click.echo(f"revoked {name}")
