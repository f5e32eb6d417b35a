from bikeshare.rebalancing.evaluate import SYNTHETIC_NOTICE, summarise, write_report


def _morning(lost, aboard=0):
    return {
        "lost_rentals": lost,
        "overflow_returns": 10,
        "refused_returns": 5,
        "empty_station_min": 100.0,
        "full_station_min": 50.0,
        "truck_km": 12.5,
        "bikes_moved": 40,
        "bikes_on_trucks_at_end": aboard,
        "lost_by_hour": {7: lost // 2, 8: lost - lost // 2},
    }


def test_summary_gives_mean_and_sd_per_policy_with_the_reduction_taken_per_morning():
    summary = summarise({"do nothing": [_morning(100), _morning(200)], "planner": [_morning(50), _morning(150)]})
    planner = summary["planner"]
    assert planner["lost_rentals"] == 100.0
    assert round(planner["sd"]["lost_rentals"], 2) == 70.71
    # 50 % then 25 %: the mean of the per-morning reductions, not 1 - 100/150.
    assert planner["lost_rentals_reduction"] == 0.375
    assert planner["lost_by_hour"] == {7: 50.0, 8: 50.0}


def test_report_says_the_trips_are_synthetic_gives_mean_and_sd_and_draws_its_plots(tmp_path):
    metrics = {
        "notice": SYNTHETIC_NOTICE,
        "trips": 1000,
        "seeds": [1, 2],
        "stations": 3,
        "trucks": "1 x 20",
        "truck_capacity_total": 20,
        "truck_model": {"speed_kmh": 20.0, "road_factor": 1.4, "handling_min_per_bike": 1.0},
        "replan_every_min": 30.0,
        "replan_horizon_h": 3.0,
        "training_mornings": 20,
        "policies": summarise(
            {"do nothing": [_morning(100), _morning(100)], "planner": [_morning(50, 2), _morning(70, 4)]}
        ),
        "full_city_plan": {
            "stations": 3,
            "seconds": 1.5,
            "zones": ["solved: chain targets, solver routes"],
            "time_limit_s": 2.0,
            "bikes_moved": 10,
            "truck_km": 3.0,
            "expected_dissatisfaction_before": 9.0,
            "expected_dissatisfaction_after": 4.0,
        },
    }
    report = write_report(metrics, tmp_path / "out")
    text = report.read_text(encoding="utf-8")
    assert "SYNTHETIC" in text and "road distance = 1.4 × straight line" in text
    assert "from 20 separate synthetic training mornings" in text
    assert "| planner | 60 ± 14 | 40.0% ± 14.1% |" in text
    assert text.rstrip().count("| 3 ± 1 |") == 1  # bikes aboard at the end
    assert (tmp_path / "out" / "lost_rentals.png").stat().st_size > 0
    assert (tmp_path / "out" / "lost_by_hour.png").stat().st_size > 0
