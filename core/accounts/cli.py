"""`flask users ...`: create administrators and grant roles from the command line."""

from datetime import date

import click
from flask import Flask
from flask.cli import AppGroup

from core.accounts import services
from core.districts import normalise_district
from core.errors import DomainError

users_cli = AppGroup("users", help="Manage accounts and roles.")


@users_cli.command("create-admin")
@click.option("--email", required=True)
@click.option("--name", default="Administrator", show_default=True)
@click.option("--district", default="중구", show_default=True)
@click.option("--birth-date", default="1980-01-01", show_default=True)
@click.password_option(prompt="Password")
def create_admin(email, name, district, birth_date, password):
    """Create an administrator account."""
    try:
        user = services.register(
            email=email,
            password=password,
            name=name,
            birth_date=date.fromisoformat(birth_date),
            district=normalise_district(district) or "중구",
            roles=("citizen", "admin"),
        )
    except DomainError as error:
        raise click.ClickException(error.detail) from None
    click.echo(f"created admin {user.email} (id {user.id})")


@users_cli.command("grant-role")
@click.argument("email")
@click.argument("role")
def grant_role(email, role):
    """Give the account EMAIL the role ROLE (citizen, operator or admin)."""
    try:
        user = services.grant_role(user=services.find_user_by_email(email), role=role)
    except DomainError as error:
        raise click.ClickException(error.detail) from None
    click.echo(f"{user.email} now has roles: {', '.join(user.role_names)}")


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
