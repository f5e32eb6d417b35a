"""`flask cardapi ...`: bulk tasks for the citizen card."""

import click
from flask.cli import AppGroup

from cardapi.services import eligibility

cardapi_cli = AppGroup("cardapi", help="Citizen card: eligibility imports.")


@cardapi_cli.command("import-eligibility")
@click.argument("csv_file", type=click.File("rb"))
def import_eligibility(csv_file):
    """Grant categories from CSV_FILE (columns email,category,expires_on); safe to run again.

    Reads UTF-8 (with or without a BOM) or cp949 (Korean Excel). An expiry of 9999-12-31 means
    "never expires". Bad rows are reported by line and the good ones imported.
    """
    text = _decode(csv_file.read())
    try:
        report = eligibility.import_csv(lines=text.splitlines())
    except eligibility.WrongHeader as wrong:
        raise click.ClickException(f"{csv_file.name}: {wrong}; nothing imported") from None
    click.echo(
        f"created {report.created}, updated {report.updated}, unchanged {report.unchanged}, "
        f"rejected {len(report.rejected)}"
    )
    for line, reason in report.rejected:
        click.echo(f"line {line}: {reason}")


def _decode(raw: bytes) -> str:
    """UTF-8 (a BOM is dropped) or, failing that, cp949, which Korean Excel writes for "CSV"."""
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise click.ClickException("the file is neither UTF-8 nor cp949 text; save it as CSV UTF-8 and retry")
