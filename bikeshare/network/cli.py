"""`flask bikeshare network-report`: dock supply against demand, as Markdown with plots and a CSV."""

import os
import time

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("network-report")
@with_appcontext
@click.option("--docks", "docks_budget", type=click.IntRange(0, 5000), default=500, show_default=True)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    help="Where the report goes.  [default: INSTANCE_PATH/reports/network]",
)
def network_report(docks_budget, out_dir):
    """Riders turned away per station and district, and where moving at most --docks docks helps most."""
    from bikeshare.network import report, services  # NumPy, SciPy, matplotlib: loaded by this command only

    started = time.perf_counter()
    stored = services.build_report(docks_budget=docks_budget)
    out_dir = out_dir or os.path.join(current_app.instance_path, "reports", "network")
    path = report.write(stored, out_dir=out_dir)
    click.echo(report.headline(stored))
    click.echo(
        f"report {stored.id}: computed in {stored.elapsed_s:.1f} s, command {time.perf_counter() - started:.1f} s; "
        f"written to {path}"
    )
