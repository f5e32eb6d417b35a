"""Load shedding: a request that already waited too long in the queue gets a fast 503, not an answer
seconds late.

Past capacity, requests queue in front of the workers (the listen backlog, the server's own queue)
and every answer comes later than the last, until terminals and phones time out anyway. The load
balancer stamps each request on arrival (nginx: `X-Request-Start: t=${msec}`, docker/nginx.conf); a
request that reaches the app after more than the queue budget is answered 503 with Retry-After
before any database or Redis work, so the queue drains at the cost of a few microseconds per shed
request and the requests still served keep their latency. Without the stamp (no load balancer in
front) nothing is shed.
"""

import json
import time

from core.headers import environ_key

QUEUE_BUDGET_MS = 100  # an answer later than this is worth less to a gate or a phone than a retry
RETRY_AFTER_S = 1
_ENVIRON_ARRIVAL = environ_key("X-Request-Start")  # the load balancer's arrival stamp


class ShedStaleRequests:
    """WSGI middleware answering 503 + Retry-After to requests queued longer than `budget_ms`."""

    def __init__(self, app, *, budget_ms: float = QUEUE_BUDGET_MS, retry_after_s: int = RETRY_AFTER_S):
        self.app, self.budget_s, self.retry_after = app, budget_ms / 1000, str(retry_after_s)
        self.body = json.dumps(
            {
                "type": "/problems/overloaded",
                "title": "Service Unavailable",
                "status": 503,
                "detail": f"The service is over capacity; retry after {retry_after_s} s.",
            }
        ).encode()

    def __call__(self, environ, start_response):
        stamp = environ.get(_ENVIRON_ARRIVAL, "")
        if stamp.startswith("t="):
            try:
                waited = time.time() - float(stamp[2:])
            except ValueError:  # a malformed stamp is the client's business, not a reason to refuse
                waited = 0.0
            if waited > self.budget_s:
                start_response(
                    "503 Service Unavailable",
                    [
                        ("Content-Type", "application/problem+json"),
                        ("Content-Length", str(len(self.body))),
                        ("Retry-After", self.retry_after),
                    ],
                )
                return [self.body]
        return self.app(environ, start_response)
