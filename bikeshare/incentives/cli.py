"""`flask bikeshare evaluate-incentives`: the incentive evaluation table, with every assumption."""

import click
from flask.cli import with_appcontext


@click.command("evaluate-incentives")
@with_appcontext
@click.option("--full", is_flag=True, help="The whole city, 30 trucks (slow); default: one district, a smoke test.")
@click.option("--district", default="강남구", show_default=True, help="The district of the quick mode.")
@click.option("--seeds", type=click.IntRange(1, 50), default=5, show_default=True, help="Held-out mornings.")
@click.option(
    "--shares", default="0.1,0.3", show_default=True, help="Shares of riders who act on points, comma-separated."
)
@click.option(
    "--seed",
    type=int,
    default=2031,
    show_default=True,
    help="First held-out morning (our rules were tuned on 2026-2027).",
)
def evaluate_incentives(full, district, seeds, shares, seed):
    """Replay the morning rush: nothing, trucks only, incentives only (pilot, ours), both; mean ± sd."""
    from bikeshare.incentives import evaluation  # NumPy, SciPy, OR-Tools: loaded by this command only

    try:
        response_shares = tuple(float(share) for share in shares.split(","))
    except ValueError:
        raise click.BadParameter("give shares as numbers, e.g. 0.1,0.3", param_hint="--shares") from None
    if not all(0 <= share <= 1 for share in response_shares):
        raise click.BadParameter("each share is between 0 and 1", param_hint="--shares")
    results = evaluation.run(
        quick=not full, district=district, seeds=seeds, seed=seed, shares=response_shares, progress=click.echo
    )
    click.echo("Assumptions:")
    for line in results["assumptions"]:
        click.echo(f"- {line}")
    click.echo(f"{results['stations']} stations, mornings (seeds) {results['seeds']}")
    click.echo(evaluation.table(results))
