"""`radslag users`: add, list and remove officials' accounts (data_dir/users.json)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from radslag.settings import Settings
from radslag.users import ROLES, UserError, UserStore, users_path

users_app = typer.Typer(help="Officials' accounts for the workspace and the API.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def _store() -> UserStore:
    return UserStore(users_path(Settings()))


def _read_password() -> str:
    if sys.stdin.isatty():
        return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")  # piped: the first line of stdin


@users_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="User name (A-Z a-z 0-9 _ . @ -).")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")] = "official",
    password: Annotated[str | None, typer.Option(help="The password (default: prompt, or the first line of stdin).")] = None,
    replace: Annotated[bool, typer.Option(help="Replace an existing user's password and role.")] = False,
) -> None:
    """Add an official or admin."""
    if role not in ROLES:
        raise typer.BadParameter(f"role must be one of {', '.join(ROLES)}")
    store = _store()
    try:
        user = store.add(name, password if password is not None else _read_password(), role, replace=replace)
    except UserError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(f"added {user.name} ({user.role}) to {store.path}")


@users_app.command("list")
def list_users() -> None:
    """List the accounts (names and roles; never passwords)."""
    table = Table(title="Users")
    for col in ("name", "role", "created"):
        table.add_column(col)
    for user in _store().list():
        table.add_row(user.name, user.role, user.created)
    console.print(table)


@users_app.command("remove")
def remove(name: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """Remove an account (its sessions stop working at their next request)."""
    if not _store().remove(name):
        err.print(f"[red]No user {name!r}.[/red]")
        raise typer.Exit(1)
    console.print(f"removed {name}")
