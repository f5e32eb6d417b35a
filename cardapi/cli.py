"""`flask cardapi ...`: bulk tasks for the citizen card."""

from flask.cli import AppGroup

cardapi_cli = AppGroup("cardapi", help="Citizen card: eligibility imports.")
