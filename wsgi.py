"""WSGI entry point: `granian --interface wsgi wsgi:app` (docker/), `flask --app wsgi run`."""

from core.app import create_app

app = create_app()
