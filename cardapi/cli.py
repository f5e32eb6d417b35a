"""`flask cardapi ...`: bulk tasks for the citizen card."""

import click
from flask.cli import AppGroup

from cardapi.services import eligibility

cardapi_cli = AppGroup("cardapi", help="Citizen card: eligibility imports.")


@cardapi_cli.command("import-eligibility")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
def import_eligibility(csv_file):
    """Grant categories from CSV_FILE (columns email,category,expires_on); safe to run again."""
    report = eligibility.import_csv(lines=csv_file)
    click.echo(
        f"created {report.created}, updated {report.updated}, unchanged {report.unchanged}, "
        f"rejected {len(report.rejected)}"
    )
    for line, reason in report.rejected:
        click.echo(f"line {line}: {reason}")
