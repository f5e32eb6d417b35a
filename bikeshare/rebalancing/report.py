"""Markdown and PNG report of an evaluation (`evaluate.run_evaluation`'s result)."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; the evaluation runs on servers without a display
import matplotlib.pyplot as plt  # noqa: E402

COLUMNS = (
    ("lost_rentals", "lost rentals"),
    ("lost_rentals_reduction", "vs do nothing"),
    ("overflow_returns", "overflow returns"),
    ("refused_returns", "refused returns"),
    ("empty_station_min", "empty station-min"),
    ("full_station_min", "full station-min"),
    ("truck_km", "truck-km"),
    ("bikes_moved", "bikes moved"),
    ("bikes_on_trucks_at_end", "aboard at 10:30"),
)


def write_report(metrics: dict, out_dir) -> Path:
    """Write `rebalancing_report.md` plus two plots into `out_dir`; returns the Markdown path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    policies = metrics["policies"]
    _plot_lost_rentals(policies, out_dir / "lost_rentals.png")
    _plot_lost_by_hour(policies, out_dir / "lost_by_hour.png")

    model = metrics["truck_model"]
    capacity = metrics["truck_capacity_total"]
    lines = [
        "# Rebalancing evaluation: morning rush replay 05:30-10:30",
        "",
        f"> **{metrics['notice']}**",
        "",
        f"- {metrics['stations']} stations, {metrics['trips']:,.0f} synthetic trips per morning, "
        f"trucks {metrics['trucks']}, policies called every {metrics['replan_every_min']:g} min "
        f"(re-planning over the next {metrics['replan_horizon_h']:g} h).",
        f"- Mean ± sd over {len(metrics['seeds'])} held-out mornings (seeds {metrics['seeds'][0]}-"
        f"{metrics['seeds'][-1]}); the planner's demand rates come from {metrics['training_mornings']} separate "
        "synthetic training mornings (what the product's demand window holds), estimated as the product estimates "
        "them. Each synthetic morning's volume varies as real dry weekday mornings' does; local events are "
        "not modelled, so history predicts a station's morning somewhat better than on real days.",
        f"- Trucks: {model['speed_kmh']:g} km/h over road distance = {model['road_factor']:g} × straight line, "
        f"{model['handling_min_per_bike']:g} min per bike at each end; the planners assume the same, except "
        'the row "planner believing …", whose planner assumes faster handling than the trucks manage.',
        f'- "aboard at 10:30": bikes still on trucks when the window ends (of {capacity} truck places).',
        "- Every policy drives the same trucks through the same min-cost flow and routing, "
        "called at the same cadence; only the targets differ. The rules of thumb are therefore "
        "stronger here than as operated by hand. The dawn plan is planned once at 05:30 from "
        "expected demand and never revised.",
        "",
        "| policy | " + " | ".join(title for _, title in COLUMNS) + " |",
        "|---" * (len(COLUMNS) + 1) + "|",
    ]
    for name, values in policies.items():
        cells = (_cell(key, values[key], values["sd"][key]) for key, _ in COLUMNS)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    plan = metrics["full_city_plan"]
    lines += [
        "",
        "## Full-city plan",
        "",
        f"{plan['stations']} stations, {metrics['trucks']} trucks: built in "
        f"{plan['seconds']:.1f} s (time limit {plan['time_limit_s']:g} s; zones: {'; '.join(plan['zones'])}); "
        f"{plan['bikes_moved']} bikes moved over {plan['truck_km']:.0f} truck-km; expected "
        f"dissatisfaction over the next 3 h {plan['expected_dissatisfaction_before']:.0f} -> "
        f"{plan['expected_dissatisfaction_after']:.0f}.",
        "",
        "![lost rentals per policy](lost_rentals.png)",
        "",
        "![lost rentals per hour](lost_by_hour.png)",
        "",
    ]
    report = out_dir / "rebalancing_report.md"
    report.write_text("\n".join(lines), encoding="utf-8")
    return report


def _cell(key, value, sd):
    if key == "lost_rentals_reduction":
        return f"{value:.1%} ± {sd:.1%}"
    return f"{value:,.0f} ± {sd:,.0f}"


def _plot_lost_rentals(policies, path):
    figure, axes = plt.subplots(figsize=(7, 3.5))
    names = list(policies)
    axes.barh(
        names,
        [policies[n]["lost_rentals"] for n in names],
        xerr=[policies[n]["sd"]["lost_rentals"] for n in names],
        color="tab:red",
    )
    axes.invert_yaxis()
    axes.set_xlabel("lost rentals, 05:30-10:30, mean ± sd (synthetic trips)")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def _plot_lost_by_hour(policies, path):
    figure, axes = plt.subplots(figsize=(7, 3.5))
    for name, values in policies.items():
        hours = sorted(values["lost_by_hour"])
        axes.plot(hours, [values["lost_by_hour"][h] for h in hours], marker="o", label=name)
    axes.set_xlabel("hour of day")
    axes.set_ylabel("lost rentals, mean (synthetic trips)")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
