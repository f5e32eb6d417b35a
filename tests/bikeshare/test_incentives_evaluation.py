"""`flask bikeshare evaluate-incentives`: every scenario with mean ± sd, and every assumption stated."""

import re


def test_the_evaluation_prints_each_scenario_and_its_assumptions(app):
    result = app.test_cli_runner().invoke(
        args=["bikeshare", "evaluate-incentives", "--district", "중구", "--seeds", "2", "--shares", "0.3"]
    )
    assert result.exit_code == 0, result.output
    for assumption in (
        "SYNTHETIC",
        "Pilot rules",
        "Our rules",
        "walks up to 300 m",
        "windfalls included",
        "QUICK MODE",
    ):
        assert assumption in result.output
    rows = {line.split("  ")[0] for line in result.output.splitlines() if "±" in line}
    assert rows == {
        "nothing",
        "trucks only",
        "pilot incentives, 30% respond",
        "ours incentives, 30% respond",
        "trucks + pilot incentives, 30% respond",
        "trucks + ours incentives, 30% respond",
    }
    assert re.search(r"mornings \(seeds\) \[2031, 2032\]", result.output)


def test_a_response_share_outside_0_to_1_is_refused(app):
    result = app.test_cli_runner().invoke(args=["bikeshare", "evaluate-incentives", "--shares", "0.2,1.5"])
    assert result.exit_code == 2
    assert "between 0 and 1" in result.output
