"""`flask bikeshare publish-incentives | evaluate-incentives`: the offers ahead of their half hour, and the
incentive evaluation table with every assumption."""

from datetime import timedelta

import click
from flask.cli import with_appcontext

from core.db import utcnow

# Run from cron at :25 and :55: the coming half hour is published before its first rider looks.
PUBLISH_AHEAD = timedelta(minutes=5)


@click.command("publish-incentives")
@with_appcontext
def publish_incentives():
    """Publish the offers of the half hour starting within the next 5 minutes (the first reader would otherwise)."""
    from bikeshare.incentives.offers import current_offers  # NumPy and the planner's chain

    offers = current_offers(now=utcnow() + PUBLISH_AHEAD)
    renting = sum(1 for station in offers["stations"] if station["rent_points"])
    returning = sum(1 for station in offers["stations"] if station["return_points"])
    click.echo(
        f"{offers['policy']} offers from {offers['valid_from'].isoformat()} to {offers['valid_until'].isoformat()}: "
        f"{renting} stations for renting, {returning} for returning"
    )


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
    # The training mornings are the seeds just below it, and a seed is never negative.
    type=click.IntRange(min=100),
    default=2031,
    show_default=True,
    help="First held-out morning (our rules were tuned on 2026-2027; training uses the mornings below it).",
)
def evaluate_incentives(full, district, seeds, shares, seed):
    """Replay the morning rush: nothing, trucks only, incentives only (pilot, ours), both; mean ± sd."""
    from bikeshare.incentives import evaluation  # NumPy, SciPy, OR-Tools: loaded by this command only
    from bikeshare.operations.network import truck_settings, weekday_mornings_in_window

    try:
        response_shares = tuple(float(share) for share in shares.split(","))
    except ValueError:
        raise click.BadParameter("give shares as numbers, e.g. 0.1,0.3", param_hint="--shares") from None
    if not all(0 <= share <= 1 for share in response_shares):
        raise click.BadParameter("each share is between 0 and 1", param_hint="--shares")
    results = evaluation.run(
        quick=not full,
        district=district,
        seeds=seeds,
        seed=seed,
        shares=response_shares,
        trucks=truck_settings(),
        training_mornings=weekday_mornings_in_window(),
        progress=click.echo,
    )
    click.echo("Assumptions:")
    for line in results["assumptions"]:
        click.echo(f"- {line}")
    click.echo(f"{results['stations']} stations, mornings (seeds) {results['seeds']}")
    click.echo(evaluation.table(results))
