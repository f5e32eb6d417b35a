"""The network report as files: Markdown with plots (matplotlib, Agg) and the station table as CSV."""

import csv
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; reports are written on servers without a display
import matplotlib.pyplot as plt  # noqa: E402

from bikeshare.network.models import NetworkReport  # noqa: E402

TOP_STATIONS = 15


def headline(report: NetworkReport) -> str:
    """One line per typical day: riders turned away now, at target stock, and after moving the docks."""
    summary = report.summary
    lines = [
        f"{summary['stations']} stations, {summary['docks']} docks, {summary['bikes_now']} bikes parked now; "
        f"{summary['docks_moved']} of {summary['docks_budget']} docks moved "
        f"({summary['stations_losing']} stations give, {summary['stations_gaining']} receive)"
    ]
    for day, figures in summary["days"].items():
        lines.append(
            f"{day}: {figures['rentals']:,.0f} rentals expected; turned away {figures['turned_away_now']:,.0f} "
            f"from today's stock, {figures['turned_away_at_target']:,.0f} from target stock, "
            f"{figures['turned_away_after']:,.0f} after reallocating ({figures['improvement_share']:.1%} fewer); "
            f"fleet at target {figures['fleet_at_target']:,} -> {figures['fleet_after']:,}"
        )
    return "\n".join(lines)


def write(report: NetworkReport, *, out_dir) -> Path:
    """Write README.md, stations.csv, districts.csv and the plots into `out_dir`; returns the Markdown path."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    _csv(folder / "stations.csv", report.stations)
    _csv(folder / "districts.csv", report.districts)
    _plot_districts(report.districts, folder / "districts.png")
    _plot_changes(report.stations, folder / "dock_changes.png")
    path = folder / "README.md"
    path.write_text(_markdown(report), encoding="utf-8")
    return path


def _csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        if not rows:
            return
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _markdown(report: NetworkReport) -> str:
    summary, history = report.summary, report.history
    lines = [
        "# Dock supply against demand",
        "",
        f"Report {report.id}, {report.created_at:%Y-%m-%d %H:%M} UTC, computed in {report.elapsed_s:.1f} s.",
        f"Demand history: {history['trips']:,} rentals on {history['days']} days ({history['observed_hours']} "
        f"observed hours) from {history['since']} to {history['until']}; {history['prior_share']:.0%} of "
        "expected rentals come from the priors (neighbours, district, city-wide hourly profile), not the "
        "stations' own records.",
        "",
        "```",
        headline(report),
        "```",
        "",
        "| typical day | rentals | returns | lost rentals now | returns at a full station now | turned away "
        "at target stock | after reallocating | fewer | fleet at target | fleet after |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for day, f in summary["days"].items():
        lines.append(
            f"| {day} | {f['rentals']:,.0f} | {f['returns']:,.0f} | {f['lost_rentals_now']:,.1f} | "
            f"{f['returns_at_full_now']:,.1f} | {f['turned_away_at_target']:,.1f} | {f['turned_away_after']:,.1f} | "
            f"{f['improvement_share']:.1%} | {f['fleet_at_target']:,} | {f['fleet_after']:,} |"
        )
    lines += ["", "## Assumptions", "", *(f"- {text}" for text in summary["assumptions"]), ""]
    lines += ["## Districts", "", "![riders turned away per district](districts.png)", ""]
    lines += [
        "| # | district | stations | docks | docks after | weekday use per dock | weekday lost rentals now | "
        "weekday returns at full now | weekday turned away at target | after |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for number, d in enumerate(report.districts, start=1):
        lines.append(
            f"| {number} | {d['district']} | {d['stations']} | {d['docks']} | {d['docks_recommended']} | "
            f"{d['weekday_use_per_dock']:.2f} | {d['weekday_lost_rentals_now']:.1f} | "
            f"{d['weekday_returns_at_full_now']:.1f} | {d['weekday_turned_away_at_target']:.1f} | "
            f"{d['weekday_turned_away_after']:.1f} |"
        )
    lines += ["", "## Where docks move", "", "![dock changes](dock_changes.png)", ""]
    for title, rows in (
        ("Stations receiving the most docks", sorted(report.stations, key=lambda r: -r["dock_change"])),
        ("Stations giving the most docks", sorted(report.stations, key=lambda r: r["dock_change"])),
    ):
        lines += [
            f"### {title}",
            "",
            "| station | district | docks | change | weekday use per dock | weekday returns at full now | "
            "weekday target stock after |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in [row for row in rows if row["dock_change"]][:TOP_STATIONS]:
            lines.append(
                f"| {r['station_id']} {r['name']} | {r['district']} | {r['docks']} | {r['dock_change']:+d} | "
                f"{r['weekday_use_per_dock']:.2f} | {r['weekday_returns_at_full_now']:.2f} | "
                f"{r['weekday_target_stock_after']} |"
            )
        lines.append("")
    lines += ["Every station's figures are in `stations.csv`, every district's in `districts.csv`.", ""]
    return "\n".join(lines)


def _plot_districts(districts: list[dict], path: Path) -> None:
    names = [d["district"] for d in districts]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    positions = range(len(names))
    ax.bar(positions, [d["weekday_turned_away_at_target"] for d in districts], label="today's docks (target stock)")
    ax.bar(positions, [d["weekday_turned_away_after"] for d in districts], width=0.5, label="after reallocating docks")
    ax.set_xticks(list(positions), [str(i + 1) for i in positions])
    ax.set_xlabel("district (# in the table)")
    ax.set_ylabel("riders turned away per weekday")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_changes(stations: list[dict], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6.5, 6.5))
    use = [s["weekday_use_per_dock"] for s in stations]
    full = [s["weekday_returns_at_full_now"] for s in stations]
    colours = ["tab:green" if s["dock_change"] > 0 else "tab:red" if s["dock_change"] < 0 else "0.8" for s in stations]
    ax.scatter(use, full, c=colours, s=8)
    ax.set_xlabel("weekday rentals + returns per dock")
    ax.set_ylabel("weekday returns at a full station (from today's stock)")
    ax.set_title("green: receives docks, red: gives docks")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
