"""HTTP load generator, run in processes separate from the server.

Each process drives a few threads; each thread owns one keep-alive `http.client` connection (it
reconnects by itself whenever the server closes it). Closed loop (the default), a thread sends its
next request as soon as the previous answer is read: that finds the throughput. At a fixed rate,
each connection sends on a schedule and a request's latency counts from the moment it was due, so a
server that falls behind shows its queue instead of slowing the load down (no coordinated
omission): that measures latency at a given load. Latencies are recorded only inside the measured
window, after a short warm-up.
"""

import http.client
import json
import multiprocessing
import threading
import time
from array import array
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from bench import cpu


class Stop(Exception):
    """The measured window is over."""


@dataclass
class Client:
    """One connection of one thread; `call` records latency and status inside the window."""

    host: str
    port: int
    measure_from: float
    deadline: float
    interval: float | None = None  # seconds between requests due on this connection; None: closed loop
    next_due: float = 0.0
    latencies_ms: array = field(default_factory=lambda: array("d"))
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    units: int = 0
    good: int = 0

    def __post_init__(self):
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def call(self, method: str, path: str, body=None, headers=None, expect=(200,), parse=False):
        """Send one request; returns (status, JSON body if `parse` else None). Raises Stop after the deadline."""
        started = time.perf_counter()
        if self.interval:
            due, self.next_due = self.next_due, self.next_due + self.interval
            if due > started:
                time.sleep(due - started)
            started = due
        if started >= self.deadline:
            raise Stop
        payload = None if body is None else json.dumps(body).encode()
        all_headers = {"Content-Type": "application/json"} if payload is not None else {}
        all_headers.update(headers or {})
        try:
            self.conn.request(method, path, body=payload, headers=all_headers)
            response = self.conn.getresponse()
            data = response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as error:
            self.conn.close()
            if started >= self.measure_from:
                self.errors[type(error).__name__] += 1
            return None, None
        if started >= self.measure_from:
            finished = time.perf_counter()
            self.latencies_ms.append((finished - started) * 1000)
            self.statuses[status] += 1
            if status not in expect:
                self.errors[f"HTTP {status}"] += 1
            elif finished <= self.deadline:  # at a fixed rate, an answer after the window was not served at it
                self.good += 1
        # Parsing costs the client CPU the server then lacks (a GBFS file is ~0.5 MB): only when asked.
        parsed = json.loads(data) if parse and data and data[:1] in (b"{", b"[") else None
        return status, parsed

    def unit_done(self) -> None:
        """Count one completed unit of work (e.g. a rent + return pair) inside the window."""
        if time.perf_counter() >= self.measure_from:
            self.units += 1


def _drive_thread(scenario, client: Client, slot: int, slots: int) -> None:
    try:
        scenario.drive(client, slot, slots)
    except Stop:
        pass
    except Exception as error:  # a scenario bug must show up in the results, not vanish in a thread
        client.errors[f"crash: {type(error).__name__}: {error}"] += 1


def _process_main(scenario, host, port, threads, process_index, processes, start_at, warmup, duration, rate):
    time.sleep(max(0.0, start_at - time.time()))
    now = time.perf_counter()
    measure_from, deadline = now + warmup, now + warmup + duration
    clients = [Client(host, port, measure_from, deadline) for _ in range(threads)]
    if rate:
        interval = processes * threads / rate
        for index, client in enumerate(clients):  # the connections take turns, evenly spaced
            client.interval = interval
            client.next_due = now + interval * (process_index * threads + index) / (processes * threads)
    workers = [
        threading.Thread(target=_drive_thread, args=(scenario, c, process_index * threads + i, processes * threads))
        for i, c in enumerate(clients)
    ]
    for w in workers:
        w.start()
    time.sleep(max(0.0, measure_from - time.perf_counter()))
    cpu_from = time.process_time()
    for w in workers:
        w.join()
    return {
        "cpu_seconds": time.process_time() - cpu_from,
        "latencies": np.concatenate([np.frombuffer(c.latencies_ms, dtype=float) for c in clients]).tobytes(),
        "statuses": sum((c.statuses for c in clients), Counter()),
        "errors": sum((c.errors for c in clients), Counter()),
        "units": sum(c.units for c in clients),
        "good": sum(c.good for c in clients),
    }


def run(
    scenario,
    host: str,
    port: int,
    *,
    connections: int,
    processes: int,
    duration: float,
    warmup: float,
    server_pid: int,
    rate: float | None = None,
) -> dict:
    """Run `scenario` over `connections` connections, closed loop or at `rate` requests per second.

    Returns a summary of the measured window. `server_pid` is the gunicorn master's: the CPU its
    workers, PostgreSQL and Redis use in the window is reported beside the load processes' own.
    """
    threads = max(1, connections // processes)
    start_at = time.time() + 1.5  # the processes import and prepare before the common start
    window = cpu.Window(server_pid, start_at + warmup, start_at + warmup + duration)
    context = multiprocessing.get_context("spawn")
    pool = context.Pool(processes)
    parts = pool.starmap(
        _process_main,
        [(scenario, host, port, threads, i, processes, start_at, warmup, duration, rate) for i in range(processes)],
    )
    pool.close()
    pool.join()
    latencies = np.concatenate([np.frombuffer(p["latencies"], dtype=float) for p in parts])
    statuses = sum((p["statuses"] for p in parts), Counter())
    errors = sum((p["errors"] for p in parts), Counter())
    units = sum(p["units"] for p in parts)
    good = sum(p["good"] for p in parts)
    summary = {
        "requests": int(latencies.size),
        "ok": good,
        "errors": int(sum(errors.values())),
        "error_kinds": dict(errors.most_common(5)),
        "statuses": {str(k): int(v) for k, v in sorted(statuses.items())},
        "duration_s": duration,
        "connections": processes * threads,
        "fixed_rate": rate,
        "throughput": good / duration,
        "units_per_s": units / duration,
        # Cores used in the measured window: the load processes' are taken from the server.
        "cores": {**window.cores(), "load generator": round(sum(p["cpu_seconds"] for p in parts) / duration, 3)},
        "busiest_worker_cores": window.busiest_app_process(),
    }
    if latencies.size:
        p50, p95, p99 = np.percentile(latencies, [50, 95, 99])
        summary.update(p50_ms=float(p50), p95_ms=float(p95), p99_ms=float(p99), max_ms=float(latencies.max()))
    return summary
