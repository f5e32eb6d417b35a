from bikeshare.rebalancing.evaluate import SYNTHETIC_NOTICE, write_report


def _policy(lost, reduction):
    return {
        "lost_rentals": lost,
        "lost_rentals_reduction": reduction,
        "overflow_returns": 10,
        "refused_returns": 5,
        "empty_station_min": 100.0,
        "full_station_min": 50.0,
        "truck_km": 12.5,
        "bikes_moved": 40,
        "lost_by_hour": {7: lost // 2, 8: lost - lost // 2},
    }


def test_report_says_the_trips_are_synthetic_and_draws_its_plots(tmp_path):
    metrics = {
        "notice": SYNTHETIC_NOTICE,
        "trips": 1000,
        "stations": 3,
        "trucks": "1 x 20",
        "replan_every_min": 30.0,
        "policies": {"do nothing": _policy(100, 0.0), "planner": _policy(60, 0.4)},
        "full_city_plan": {
            "stations": 3,
            "seconds": 1.5,
            "targets_seconds": 0.2,
            "time_limit_s": 2.0,
            "bikes_moved": 10,
            "truck_km": 3.0,
            "expected_dissatisfaction_before": 9.0,
            "expected_dissatisfaction_after": 4.0,
        },
    }
    report = write_report(metrics, tmp_path / "out")
    text = report.read_text(encoding="utf-8")
    assert "SYNTHETIC" in text
    assert "| planner | 60 | 40.0% |" in text
    assert (tmp_path / "out" / "lost_rentals.png").stat().st_size > 0
    assert (tmp_path / "out" / "lost_by_hour.png").stat().st_size > 0
