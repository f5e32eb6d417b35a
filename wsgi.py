"""WSGI entry point: `granian --interface wsgi wsgi:app` (docker/), `flask --app wsgi run` and every other
`flask` command."""

import gc

# Importing and building the app leaves ~130,000 long-lived objects (tables, mappers, schemas, routes) and
# next to no garbage, yet the collector kept re-scanning them: a third of the CPU of every `flask` command
# and worker start. So it is off while the app is built; then what exists is frozen, so no later collection
# scans the app again.
gc.disable()
from core.app import create_app  # noqa: E402  (imported with the collector off: the imports are most of the work)

app = create_app()
gc.freeze()
gc.enable()
