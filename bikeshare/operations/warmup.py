"""Warm a server process's planner in the background, so that its first plan request meets its time limit.

A cold process first imports NumPy, SciPy and OR-Tools and estimates demand from the history: seconds
of CPU, more than a short plan request's whole limit on a busy machine. A server starts the warm-up
when the app is built in a serving process (`BIKESHARE_WARM_PLANNER`, see `init_app`); a plan request
arriving meanwhile waits for the same imports and the same estimate (`planning_demand` estimates one
at a time) and counts that wait in its own time limit.
"""

import logging
import threading

from flask import Flask

logger = logging.getLogger(__name__)


def warm_in_background(app: Flask) -> threading.Thread:
    """Start warming `app`'s planner in a daemon thread; the thread."""
    thread = threading.Thread(target=warm_planner, args=(app,), name="planner-warm-up", daemon=True)
    thread.start()
    return thread


def warm_planner(app: Flask) -> None:
    """Import the planner and cache the demand estimate of the city's current history.

    Best effort: a database that is not there or not migrated yet leaves the estimate to the first plan.
    """
    from bikeshare.operations import plans  # noqa: F401  (NumPy, SciPy, OR-Tools)
    from bikeshare.operations.network import load_network, planning_demand
    from core.db import db

    with app.app_context():
        try:
            city, _ = load_network()
            if city.size:
                planning_demand(network=city)
        except Exception:  # noqa: BLE001  (the server must start whatever the warm-up meets)
            logger.warning("planner warm-up: no demand estimate cached", exc_info=True)
        finally:
            db.session.remove()
