"""`make bench`: city-scale load tests on real servers (see __main__)."""
