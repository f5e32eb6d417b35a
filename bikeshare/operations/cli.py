"""`flask bikeshare import-trips | plan | evaluate`: the operations commands."""

import json
import os
import time
from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from bikeshare.operations import trips
from core.errors import DomainError, InvalidInput
from core.timezones import SEOUL


@click.command("import-trips")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_trips(path):
    """Import trip records (bulk CSV with Korean headers, cp949 or UTF-8, or the open-API fields); idempotent."""
    try:
        summary = trips.import_trips(path=path)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"rows: {summary['rows']}; imported: {summary['imported']}; already imported: "
        f"{summary['already_imported']}; skipped: {sum(summary['skipped'].values())}; "
        f"one station unknown (kept): {summary['one_end_unknown']}"
    )
    for reason, count in sorted(summary["skipped"].items(), key=lambda item: -item[1]):
        click.echo(f"  skipped {count}: {reason}")
    for example in summary["skipped_examples"]:
        click.echo(f"  e.g. line {example['line']}: {example['reason']}")


@click.command("plan")
@with_appcontext
@click.option("--trucks", "truck_count", type=click.IntRange(1, 200), default=30, show_default=True)
@click.option("--capacity", "truck_capacity", type=click.IntRange(1, 100), default=20, show_default=True)
@click.option("--horizon", "horizon_h", type=click.FloatRange(0.25, 12), default=3.0, show_default=True)
@click.option("--zone", help="gangnam, gangbuk or a district (default: the whole city).")
@click.option("--time-limit", "time_limit_s", type=click.FloatRange(0.5, 300), help="Seconds (default: config).")
@click.option("--at", "start_at", type=click.DateTime(("%Y-%m-%dT%H:%M",)), help="Seoul time (default: now).")
@click.option(
    "--state",
    "state_file",
    type=click.File("r", encoding="utf-8"),
    help="Plan for this network state (JSON, see the README; - reads stdin) instead of the stored one; stores nothing.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def plan(truck_count, truck_capacity, horizon_h, zone, time_limit_s, start_at, state_file, as_json):
    """Plan rebalancing routes from the current stock and store the plan and its tasks (or, with --state, plan
    for a given network state and print it)."""
    if state_file is not None:
        return _plan_for_state(state_file=state_file, time_limit_s=time_limit_s, as_json=as_json)
    from bikeshare.operations import plans  # NumPy, SciPy, OR-Tools: loaded by the commands that use them
    from bikeshare.operations.schemas import PlanSchema

    started = datetime.now()
    try:
        stored = plans.create_plan(
            user_id=None,
            horizon_h=horizon_h,
            time_limit_s=time_limit_s,
            truck_count=truck_count,
            truck_capacity=truck_capacity,
            zone=zone,
            start_at=start_at.replace(tzinfo=SEOUL) if start_at else None,
        )
    except DomainError as error:  # another plan under way, an area too small, ...
        raise click.ClickException(error.detail) from None
    if as_json:
        click.echo(json.dumps(PlanSchema().dump(stored), ensure_ascii=False, indent=2))
        return
    seconds = (datetime.now() - started).total_seconds()
    click.echo(
        f"plan {stored.id}: {stored.station_count} stations, {truck_count} trucks, {stored.bikes_moved} bikes moved "
        f"over {stored.truck_km:.1f} truck-km, {len(stored.tasks)} tasks; expected dissatisfaction over "
        f"{horizon_h:g} h {stored.dissatisfaction_before:.1f} -> {stored.dissatisfaction_after:.1f}; "
        f"planner {stored.elapsed_s:.1f} s, command {seconds:.1f} s"
    )
    used = stored.history
    click.echo(
        f"history: {used['trips']} trips on {used['days']} days ({used['observed_hours']} observed hours) "
        f"from {used['since']} to {used['until']}; {used['prior_share']:.0%} of expected rentals from the prior"
    )
    for report in stored.zones:
        click.echo(f"zone {report['zone']}: {report['outcome']} ({report['reason']}), {report['bikes_moved']} bikes")
    if "nothing_moved_because" in used:
        click.echo(f"nothing moved: {used['nothing_moved_because']}")


def _plan_for_state(*, state_file, time_limit_s, as_json):
    from bikeshare.operations.state_plans import plan_for_state

    try:
        state = json.load(state_file)
    except ValueError as error:
        raise click.ClickException(f"the state is not JSON: {error}") from None
    if time_limit_s is not None and isinstance(state, dict):
        state = {**state, "time_limit_s": time_limit_s}
    try:
        result = plan_for_state(state=state)
    except InvalidInput as error:
        raise click.ClickException(error.detail) from None
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    click.echo(
        f"{result['bikes_moved']} bikes moved over {result['truck_km']:.1f} truck-km by {len(result['routes'])} "
        f"trucks in {result['elapsed_s']:.1f} s; zones: "
        + "; ".join(f"{z['zone']} {z['outcome']}" for z in result["zones"])
    )


@click.command("evaluate")
@with_appcontext
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    help="Where the report goes.  [default: INSTANCE_PATH/reports/rebalancing]",
)
@click.option("--quick", is_flag=True, help="One district, few trucks, short limits, 2 mornings: a smoke test.")
@click.option("--district", default="강남구", show_default=True, help="The district of --quick.")
@click.option("--seeds", type=click.IntRange(1, 50), help="Held-out mornings to replay (default 5; 2 with --quick).")
# The configured trucks (BIKESHARE_TRUCK_*) apply where an option is not given: the planner's own.
@click.option("--speed", "speed_kmh", type=click.FloatRange(5, 80), help="Truck speed, km/h.  [default: config]")
@click.option("--road-factor", type=click.FloatRange(1, 3), help="Road ÷ straight-line distance.  [default: config]")
@click.option(
    "--handling-min",
    "handling_min_per_bike",
    type=click.FloatRange(0, 10),
    help="Minutes per bike at each end.  [default: config]",
)
def evaluate(out_dir, quick, district, seeds, speed_kmh, road_factor, handling_min_per_bike):
    """Replay the morning rush under each policy (mean ± sd over several mornings); write a Markdown report."""
    from dataclasses import replace

    from bikeshare.operations import evaluation  # NumPy, SciPy, OR-Tools, matplotlib
    from bikeshare.operations.network import truck_settings, weekday_mornings_in_window

    given = {"speed_kmh": speed_kmh, "road_factor": road_factor, "handling_min_per_bike": handling_min_per_bike}
    configured = truck_settings()
    trucks = replace(
        configured,
        model=replace(configured.model, **{name: value for name, value in given.items() if value is not None}),
    )
    # Under the instance folder by default: commands never write into the source tree.
    out_dir = out_dir or os.path.join(current_app.instance_path, "reports", "rebalancing")
    metrics, report = evaluation.evaluate(
        out_dir=out_dir,
        quick=quick,
        district=district,
        seeds=seeds,
        trucks=trucks,
        replan_horizon_h=current_app.config["BIKESHARE_REPLAN_HORIZON_H"],
        training_mornings=weekday_mornings_in_window(),
        progress=click.echo,
    )
    click.echo(metrics["notice"])
    click.echo(
        f"{metrics['stations']} stations, {metrics['trips']:,.0f} synthetic trips per morning, "
        f"{len(metrics['seeds'])} mornings (mean ± sd), trucks {metrics['trucks']}, "
        f"{trucks.model.speed_kmh:g} km/h, road factor {trucks.model.road_factor:g}, "
        f"{trucks.model.handling_min_per_bike:g} min per bike at each end"
    )
    click.echo(evaluation.table(metrics))
    full = metrics["full_city_plan"]
    click.echo(f"plan of {full['stations']} stations: {full['seconds']:.1f} s; report: {report}")


class Duration(click.ParamType):
    """A period such as 30m, 1h or 90s."""

    name = "duration"
    UNITS = {"s": 1, "m": 60, "h": 3600}

    def convert(self, value, param, ctx):
        if isinstance(value, int | float):
            return float(value)
        text = str(value).strip().lower()
        try:
            seconds = float(text[:-1]) * self.UNITS[text[-1]] if text[-1:] in self.UNITS else float(text) * 60
        except ValueError:
            self.fail(f"{value!r} is not a period such as 30m, 1h or 90s", param, ctx)
        if seconds < 10:
            self.fail("re-plan at most every 10 seconds", param, ctx)
        return seconds


@click.command("replan")
@with_appcontext
@click.option("--every", "every_s", type=Duration(), help="Period between rounds, e.g. 30m.  [default: config]")
@click.option("--once", is_flag=True, help="Run one round and stop.")
def replan(every_s, once):
    """Re-plan the whole fleet from the live stock every period (one worker at a time: a Redis lock)."""
    from bikeshare.operations import replan as worker  # NumPy, SciPy, OR-Tools

    every_s = every_s or current_app.config["BIKESHARE_REPLAN_EVERY_MIN"] * 60
    next_round = time.monotonic()
    while True:
        round_ = worker.replan_round(every_min=every_s / 60)
        if round_ is None:
            click.echo("another worker is re-planning: round skipped")
        else:
            detail = f"; {round_.detail}" if round_.detail else ""
            click.echo(f"round {round_.id}: {round_.status}, plan {round_.plan_id}, {round_.trucks} trucks{detail}")
        if once:
            return
        next_round += every_s
        time.sleep(max(next_round - time.monotonic(), 0.0))


def register_commands(group) -> None:
    """Add the operations commands to `flask bikeshare`."""
    for command in (import_trips, plan, evaluate, replan):
        group.add_command(command)
