import numpy as np
import pytest

from bikeshare.rebalancing import data
from bikeshare.rebalancing.tripgen import TripModelSettings, calibrate_trip_model, generate_trips

TRIPS_CSV = """rent_datetime,rent_station_no,return_datetime,return_station_no
2025-10-01 08:00:00,00101,2025-10-01 08:09:40,00102
2025-10-01 08:01:00,00101,2025-10-01 08:05:00,00102
2025-10-01 08:02:00,00101,2025-10-01 08:12:00,00102
2025-10-01 08:03:00,00103,2025-10-01 08:13:00,
2025-10-01 23:58:00,00102,2025-10-02 00:06:00,00103
"""


def test_trip_reader_skips_unfinished_rows_and_keeps_time_increasing(tmp_path):
    path = tmp_path / "trips.csv"
    path.write_text(TRIPS_CSV, encoding="utf-8")
    trips = data.read_trips(path)
    assert trips.size == 4
    np.testing.assert_array_equal(trips.rent_station_no, [101, 101, 101, 102])
    assert trips.return_min[-1] == pytest.approx(24 * 60 + 6)


def test_overflow_allowance_is_at_least_what_the_station_held_beyond_its_docks():
    network = data.build_network(
        station_no=[1, 2, 3, 4],
        lat=[37.5] * 4,
        lon=[127.0, 127.01, 127.02, 127.03],
        docks=[10, 10, 10, 10],
        district=["A", "A", "A", "A"],
        observed_stock=[25, 3, 12, 10],
    )
    assert network.overflow_allowance[0] == 15
    # The district's 75th percentile of excess per dock (0, 0, 0.2, 1.5 -> 0.525) applies to all.
    assert network.overflow_allowance[1] == 6


def _eight_oclock_model(make_line_network, tmp_path, **settings):
    """A three-station line calibrated on the sample, the whole day's rides falling in 08:00-09:00."""
    network = make_line_network(km_positions=[0, 1, 2], docks=[10, 10, 10])
    path = tmp_path / "trips.csv"
    path.write_text(TRIPS_CSV, encoding="utf-8")
    profile = np.zeros(24)
    profile[8] = 1.0
    return calibrate_trip_model(
        network=network, trips=data.read_trips(path), hourly_profile=profile, settings=TripModelSettings(**settings)
    )


def test_generated_trips_follow_the_sample_and_the_hourly_volume(make_line_network, tmp_path):
    model = _eight_oclock_model(make_line_network, tmp_path)
    steady = TripModelSettings(day_to_day_sd=0.0)
    trips = generate_trips(model=model, start_min=480, end_min=540, seed=3, settings=steady)
    again = generate_trips(model=model, start_min=480, end_min=540, seed=3, settings=steady)
    np.testing.assert_array_equal(trips.origin, again.origin)
    # Without day-to-day variation the whole day's 120,000 rides fall in this hour, give or take chance.
    assert abs(len(trips.origin) - 120_000) < 5 * np.sqrt(120_000)
    assert np.all(np.diff(trips.start_min) >= 0)
    assert np.all(trips.end_min > trips.start_min)
    assert ((trips.start_min >= 480) & (trips.start_min < 540)).all()
    # Station 101 is where the sample's riders start; 103 only appears as a destination.
    shares = np.bincount(trips.origin, minlength=3) / len(trips.origin)
    assert shares[0] > 0.5 > shares[2]


def test_mornings_vary_in_volume_as_real_dry_weekday_mornings_do(make_line_network, tmp_path):
    model = _eight_oclock_model(make_line_network, tmp_path, daily_rides=4000)
    volumes = np.array([len(generate_trips(model=model, start_min=480, end_min=540, seed=s).origin) for s in range(80)])
    # Chance alone would spread 4,000 rides by a log-sd of 0.016; the mornings' own factor spreads them by 0.175.
    assert 0.13 < np.std(np.log(volumes)) < 0.22
    assert abs(volumes.mean() / 4000 - 1) < 0.06  # the factor's mean is one
