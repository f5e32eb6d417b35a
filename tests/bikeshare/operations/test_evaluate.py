"""`flask bikeshare evaluate --quick`: the policy replay runs end to end and writes its report."""


def test_quick_evaluation_prints_every_policy_says_the_trips_are_synthetic_and_writes_the_report(
    make_app, tmp_path, monkeypatch
):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    result = make_app().test_cli_runner().invoke(args=["bikeshare", "evaluate", "--quick"])
    assert result.exit_code == 0, result.output
    written = tmp_path / "instance" / "reports" / "rebalancing"  # the default: under the instance folder
    assert "SYNTHETIC" in result.output and "QUICK MODE" in result.output
    for policy in ("do nothing", "fill to half", "Seoul thresholds", "planner (re-planning)"):
        assert policy in result.output
    report = (written / "rebalancing_report.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in report and "| planner (re-planning) |" in report
    assert "from 2 separate synthetic training mornings" in report  # quick mode's; the city's: the window's
    assert (written / "lost_rentals.png").stat().st_size > 0 and (written / "lost_by_hour.png").stat().st_size > 0
