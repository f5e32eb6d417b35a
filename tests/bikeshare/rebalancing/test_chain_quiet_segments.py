"""A horizon segment without riders must carry later outcomes back unchanged (regression)."""

import numpy as np

from bikeshare.rebalancing.chain import expected_outcomes
from bikeshare.rebalancing.model import HorizonRates


def test_a_quiet_first_segment_keeps_the_lost_rentals_of_the_busy_one_after_it():
    busy = HorizonRates(rent_per_h=np.array([[3.0]]), return_per_h=np.array([[0.0]]), segment_hours=np.array([1.0]))
    quiet_then_busy = HorizonRates(
        rent_per_h=np.array([[0.0, 3.0]]), return_per_h=np.array([[0.0, 0.0]]), segment_hours=np.array([0.5, 1.0])
    )
    expected = expected_outcomes(docks=[5], capacity=[5], rates=busy).lost_rentals
    after_quiet = expected_outcomes(docks=[5], capacity=[5], rates=quiet_then_busy).lost_rentals
    assert expected[0, 0] > 2.9  # an empty station loses about 3 riders in the busy hour
    np.testing.assert_allclose(after_quiet, expected, rtol=1e-9)
