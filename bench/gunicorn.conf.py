"""gunicorn (threaded workers) as deployed until granian replaced it (docker/granian.env): the bench's
`gthread` row compares against these settings, and bench/spread.py measures how they spread connections."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Threaded workers: requests mostly wait on PostgreSQL/Redis round trips, which release the GIL, and
# connections stay open between requests (nginx keeps up to 32 alive per instance). Measured on the
# 2-core bench against sync workers: QR verification 506 -> 634/s, rent + return 164 -> 183 pairs/s;
# and 4 threads against 1: QR 524 -> 688/s, rent + return 183 -> 216 pairs/s.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# Spread keep-alive connections over the workers: a threaded worker accepts every connection it can,
# and a connection stays with the worker that accepted it, so a burst of new connections (nginx's
# upstream pool filling) could land on one worker: one core busy while the others idled (0.46 of 1.3
# cores on one of four workers, on the bench). With room for as many idle keep-alive connections as it
# has threads, a worker answers the next one past that with `Connection: close` and stops accepting
# at twice its threads, so the client's new connection goes to a worker with room.
worker_connections = 2 * threads
timeout = 30
graceful_timeout = 20
keepalive = 5
# Import the app once in the master and fork the workers from it: a worker importing the app itself
# takes ~3 s of CPU (NumPy, SciPy, OR-Tools), which on the bench showed up as latency spikes whenever
# one was recycled. Nothing connects to PostgreSQL or Redis while the app is built, so no connection
# is shared across the fork.
preload_app = True
# Recycle workers now and then so a slow leak cannot grow without bound (staggered by the jitter).
max_requests = 100000
max_requests_jitter = 10000
# gunicorn always answers `Server: gunicorn` (no version) and has no setting to drop it; nginx in front
# (docker/nginx.conf) does not pass it on.
# No access log from gunicorn: its line cost 64-109 µs of CPU per request (a dozen formatted fields and a
# write each), ~6 % of a QR verification. nginx logs every request (buffered, docker/nginx.conf) and the
# app logs every error, every slow answer and one in a hundred of the rest (core/observability.py,
# ~2 µs per request).
accesslog = None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
