"""SCC1 and SCC2 measured as back-to-back pairs, and the report's figures from them (bench/scc2.py)."""

import pytest

from bench import report, scc2


def _run(name: str, *, throughput: float, app_ms: float, postgres_ms: float = 0.5) -> dict:
    """A wrk summary whose CPU per request is `app_ms` in the app and `postgres_ms` in PostgreSQL."""
    cores = {"app": app_ms * throughput / 1000, "PostgreSQL": postgres_ms * throughput / 1000}
    cores.update({"Redis": 0.0, "load generator": 0.0})
    return {
        "name": name,
        "status": "measured",
        "throughput": throughput,
        "p50_ms": 8.0,
        "p99_ms": 25.0,
        "errors": 0,
        "fixed_rate": None,
        "cores": cores,
    }


def test_scc1_and_scc2_run_back_to_back_and_alternate_which_goes_first():
    calls = []

    def measure(name, rate):
        calls.append((name, rate))
        return _run(name, throughput=900 + len(calls), app_ms=1.4)

    rows = scc2.alternate(measure, rate=1000, repetitions=3)

    closed_loop = [("qr_verification", 0), ("qr_scc2", 0), ("qr_scc2", 0), ("qr_verification", 0)] * 2
    fixed_rate = [("qr_verification", 1000), ("qr_scc2", 1000), ("qr_scc2", 1000), ("qr_verification", 1000)] * 2
    assert calls == closed_loop[:6] + fixed_rate[:6]
    assert list(rows) == ["qr_verification", "qr_verification @ 1000/s", "qr_scc2", "qr_scc2 @ 1000/s"]
    assert all(len(row["runs"]) == 3 for row in rows.values())


def test_a_row_shows_its_median_throughput_run_and_keeps_every_run_in_pair_order():
    throughputs = {"qr_verification": iter([700, 900, 800]), "qr_scc2": iter([600, 650, 620])}

    rows = scc2.alternate(
        lambda name, rate: _run(name, throughput=rate or next(throughputs[name]), app_ms=1.4),
        rate=1000,
        repetitions=3,
    )

    assert rows["qr_verification"]["throughput"] == 800
    assert [run["throughput"] for run in rows["qr_verification"]["runs"]] == [700, 900, 800]
    assert rows["qr_scc2"]["throughput"] == 620


def test_the_difference_is_the_median_of_paired_differences_not_the_difference_of_medians():
    # The machine slowed down for the second pair: SCC2 costs 0.3, 0.2 and 0.4 ms more than the SCC1 run beside it.
    scc1 = [_run("qr_verification", throughput=900, app_ms=ms) for ms in (1.5, 2.5, 1.7)]
    scc2_runs = [_run("qr_scc2", throughput=800, app_ms=ms) for ms in (1.8, 2.7, 2.1)]
    results = {"qr_verification": {**scc1[0], "runs": scc1}, "qr_scc2": {**scc2_runs[0], "runs": scc2_runs}}

    scc2.compare_with_scc1(results)

    compared = results["qr_scc2"]["cpu_vs_scc1"]
    assert results["qr_scc2"]["cpu_vs_scc1_ms"] == pytest.approx(0.3)
    assert (compared["min_ms"], compared["max_ms"], compared["pairs"]) == (pytest.approx(0.2), pytest.approx(0.4), 3)
    assert compared["components_median_ms"]["app"] == pytest.approx(0.3)
    assert compared["components_median_ms"]["PostgreSQL"] == pytest.approx(0.0)
    assert report.verdict("qr_scc2", results["qr_scc2"]) == "met"


def test_an_scc2_row_more_than_0_3_ms_above_scc1_misses_the_target():
    scc1 = [_run("qr_verification", throughput=900, app_ms=ms) for ms in (1.5, 1.5, 1.5)]
    scc2_runs = [_run("qr_scc2", throughput=800, app_ms=ms) for ms in (1.7, 1.9, 2.0)]
    results = {"qr_verification": {**scc1[0], "runs": scc1}, "qr_scc2": {**scc2_runs[1], "runs": scc2_runs}}

    scc2.compare_with_scc1(results)

    assert results["qr_scc2"]["cpu_vs_scc1_ms"] == pytest.approx(0.4)
    assert report.verdict("qr_scc2", results["qr_scc2"]) == "NOT met"


def test_rows_measured_once_are_one_pair():
    results = {
        "qr_verification @ 1000/s": _run("qr_verification", throughput=1000, app_ms=1.3),
        "qr_scc2 @ 1000/s": _run("qr_scc2", throughput=1000, app_ms=1.55),
    }

    scc2.compare_with_scc1(results)

    assert results["qr_scc2 @ 1000/s"]["cpu_vs_scc1_ms"] == pytest.approx(0.25)
    assert results["qr_scc2 @ 1000/s"]["cpu_vs_scc1"]["pairs"] == 1


def test_without_cpu_figures_there_is_no_difference_to_judge():
    results = {
        "qr_verification": _run("qr_verification", throughput=900, app_ms=1.4),
        "qr_scc2": {"status": "measured"},
    }
    results["qr_verification"].pop("cores")

    scc2.compare_with_scc1(results)

    assert "cpu_vs_scc1_ms" not in results["qr_scc2"]
    assert report.verdict("qr_scc2", results["qr_scc2"]) == "NOT met"


def test_the_section_shows_median_cpu_per_component_and_the_paired_difference_with_its_range():
    scc1 = [_run("qr_verification", throughput=900, app_ms=ms) for ms in (1.5, 2.5, 1.7)]
    scc2_runs = [_run("qr_scc2", throughput=800, app_ms=ms) for ms in (1.8, 2.7, 2.1)]
    scenarios = {"qr_verification": {**scc1[0], "runs": scc1}, "qr_scc2": {**scc2_runs[0], "runs": scc2_runs}}
    scc2.compare_with_scc1(scenarios)

    lines = scc2.beside_scc1(scenarios)

    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines if line.startswith("| ")]
    table = {row[0]: row[1:] for row in cells}
    # runs, req/s, p50, p99, errors, app, PostgreSQL, Redis, load generator, total, difference
    assert " ".join(table["qr_verification"]) == "3 900 8.0 25.0 0 1.70 0.50 0.00 0.00 2.20 -"
    assert " ".join(table["qr_scc2"]) == "3 800 8.0 25.0 0 2.10 0.50 0.00 0.00 2.60 +0.30 (+0.20 to +0.40)"
    assert table["SCC2 − SCC1, median of 3 pairs"][5:9] == ["+0.30", "+0.00", "+0.00", "+0.00"]


def test_the_section_is_left_out_until_both_schemes_were_measured():
    scenarios = {
        "qr_verification": _run("qr_verification", throughput=900, app_ms=1.4),
        "qr_scc2": {"status": "not available"},
    }

    assert scc2.beside_scc1(scenarios) == []


def test_the_main_table_says_its_verification_rows_are_the_median_runs_of_the_pairs():
    scc1 = [_run("qr_verification", throughput=900, app_ms=ms) for ms in (1.5, 2.5, 1.7)]
    scc2_runs = [_run("qr_scc2", throughput=800, app_ms=ms) for ms in (1.8, 2.7, 2.1)]
    scenarios = {"qr_verification": {**scc1[0], "runs": scc1}, "qr_scc2": {**scc2_runs[0], "runs": scc2_runs}}
    setup = {"cpus": 2, "machine": "x86_64", "servers": ["granian"], "workers": 4, "connections": 8}
    setup.update(rate_connections=16, duration_s=10, warmup_s=1, data={})
    for summary in scenarios.values():
        summary.update(p95_ms=20.0, ratio_to_trivial=0.2, units_per_s=summary["throughput"])
    scc2.compare_with_scc1(scenarios)

    text = report.markdown({"setup": setup, "scenarios": scenarios})

    assert "verification rows are each their median-throughput run of the back-to-back pairs" in text
    assert "| qr_scc2 | 800 req/s |" in text
    assert "| qr_scc2 | 3 | 800 |" in text
