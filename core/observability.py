"""Request ids on every response and in every log line; JSON log lines in production; the access log.

The access log is written here, not by the WSGI server: gunicorn's cost ~6 % of a QR request's CPU
(a dozen formatted fields and a write per request). The load balancer logs every request
(docker/nginx.conf, buffered); the app logs what only it can tell well: every answer ≥ 500 but 503,
every slow one, and one in ACCESS_SAMPLE_EVERY of the rest (marked `sampled`, so counts scale back).
"""

import itertools
import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

from core.headers import environ_key

REQUEST_ID_HEADER = "X-Request-ID"
# Accept a caller's id only when it cannot smuggle anything into logs or headers.
_WELL_FORMED_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
# Where the access log finds the request's id after Flask has popped its context.
_ENVIRON_REQUEST_ID = "seoul.request_id"
_ENVIRON_INCOMING_ID = environ_key(REQUEST_ID_HEADER)
ACCESS_SAMPLE_EVERY = 100
SLOW_REQUEST_S = 0.5  # twenty times the p99 target of the hot paths: worth a line whatever its status


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = g.get("request_id", "-")
        elif not hasattr(record, "request_id"):  # the access log passes it in
            record.request_id = "-"
        return True


class AccessLog:
    """WSGI middleware: one log line for every answer ≥ 500 (but 503) or slower than `slow_s`, and for one in
    `sample_every` of the others. Costs two clock reads and a counter on the requests it skips."""

    def __init__(self, app, *, sample_every: int = ACCESS_SAMPLE_EVERY, slow_s: float = SLOW_REQUEST_S):
        self.app, self.sample_every, self.slow_s = app, sample_every, slow_s
        self.logger = logging.getLogger("seoul.access")
        self._served = itertools.count()  # next() on it is atomic under the GIL: no lock

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        status = ""

        def remember_status(status_line, headers, exc_info=None):
            nonlocal status
            status = status_line
            # Echoed here, on the server's plain list: through werkzeug's Headers it was validated and copied.
            headers.append((REQUEST_ID_HEADER, environ.get(_ENVIRON_REQUEST_ID) or uuid.uuid4().hex))
            return start_response(status_line, headers, exc_info)

        body = self.app(environ, remember_status)
        # Until the answer is ready: Flask builds the whole body before returning it.
        elapsed = time.perf_counter() - started
        code = int(status[:3] or 0)
        sampled = next(self._served) % self.sample_every == 0
        # 503s come in floods by design (shedding; a dependency down, which core/errors.py logs on each
        # answer already), so they are sampled like successes; the load balancer's log counts every one.
        if (code >= 500 and code != 503) or elapsed > self.slow_s or sampled:
            self._write(environ, code, elapsed, sampled)
        return body

    def _write(self, environ, code: int, elapsed: float, sampled: bool) -> None:
        method, path, ms = environ.get("REQUEST_METHOD", "-"), environ.get("PATH_INFO", "-"), round(elapsed * 1000, 1)
        level = logging.ERROR if code >= 500 else logging.WARNING if elapsed > self.slow_s else logging.INFO
        fields = {"method": method, "path": path, "status": code, "duration_ms": ms, "sampled": sampled}
        fields["request_id"] = environ.get(_ENVIRON_REQUEST_ID, "-")
        self.logger.log(level, "%s %s %d %.1f ms", method, path, code, ms, extra=fields)


def init_app(app: Flask) -> None:
    _configure_logging(app)
    # Outermost, so requests the overload guard sheds are counted too.
    app.wsgi_app = AccessLog(app.wsgi_app)

    @app.before_request
    def _assign_request_id():
        environ = request.environ  # each use of a context proxy is a lookup (~3 µs)
        incoming = environ.get(_ENVIRON_INCOMING_ID, "")
        g.request_id = environ[_ENVIRON_REQUEST_ID] = incoming if _WELL_FORMED_ID.match(incoming) else uuid.uuid4().hex


def _configure_logging(app: Flask) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RequestIdFilter())
    if app.config["JSON_LOGS"]:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                rename_fields={"asctime": "time", "levelname": "level"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
    root = logging.getLogger()
    # One handler per process, however many apps the tests create.
    for existing in [h for h in root.handlers if getattr(h, "_seoul_handler", False)]:
        root.removeHandler(existing)
    handler._seoul_handler = True
    root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])
    # The access log's own sampling decides its volume, whatever LOG_LEVEL quietens elsewhere.
    access = logging.getLogger("seoul.access")
    access.setLevel(logging.INFO)
