"""How gunicorn's threaded workers share keep-alive connections: `python -m bench.spread`.

A connection stays with the worker that accepted it, so how the connections fall decides how evenly
the workers are used. This counts each worker's established connections (read from /proc) and its
share of the workers' CPU while wrk holds N connections open, for the deployed settings and the
alternatives, against a synthetic app shaped like a QR verification (3 ms of Python holding the GIL,
1 ms waiting). Connection counts do not depend on how busy a shared machine is, so they answer
"does one worker gather the connections" where throughput cannot.

Environment: SPREAD_CONNECTIONS (comma list, default 8,32: the bench's and nginx's keep-alive pool),
SPREAD_REPETITIONS (default 2), SPREAD_WORKERS (default 4).
"""

import os
import signal
import subprocess
import time
from pathlib import Path

from bench import cpu, servers, wrk

VARIANTS = {
    "bench/gunicorn.conf.py (worker_connections 2 x threads)": [],
    "gunicorn's default worker_connections (1000)": ["--worker-connections", "1000"],
    "reuse_port: a socket per worker, the kernel hashes": ["--reuse-port", "--worker-connections", "1000"],
}


def synthetic_app(environ, start_response):
    end = time.thread_time() + 0.003
    while time.thread_time() < end:
        pass
    time.sleep(0.001)
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def _connections_per_worker(workers: list[int], port: int) -> list[int]:
    """Established connections to `port` held by each worker (matched by socket inode)."""
    inodes = set()
    for row in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = row.split()
        if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 01: ESTABLISHED
            inodes.add(f"socket:[{fields[9]}]")
    counts = []
    for pid in workers:
        held = 0
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                held += os.readlink(fd) in inodes
            except OSError:  # closed while listed
                continue
        counts.append(held)
    return counts


def measure(extra: list[str], connections: int, workers: int, seconds: float = 4.0) -> tuple[list[int], list[int]]:
    """(connections per worker, % of the workers' CPU per worker), each sorted from the busiest."""
    port = servers.free_port()
    command = [
        str(servers.BIN / "gunicorn"), "-c", str(servers.REPO / "bench" / "gunicorn.conf.py"), "-w", str(workers),
        "-b", f"127.0.0.1:{port}", "--no-control-socket", *extra, "bench.spread:synthetic_app",
    ]  # fmt: skip
    master = subprocess.Popen(
        command, cwd=servers.REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 30
        children = Path(f"/proc/{master.pid}/task/{master.pid}/children")
        while len(children.read_text().split()) < workers and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)  # the workers' sockets are listening
        pids = [int(pid) for pid in children.read_text().split()]
        load = subprocess.Popen(
            [wrk.executable(), "-t", str(min(connections, 4)), "-c", str(connections), "-d", f"{seconds + 2:g}s",
             f"http://127.0.0.1:{port}/"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(1.0)
        before = cpu.snapshot({"app": pids})
        held = _connections_per_worker(pids, port)
        time.sleep(seconds)
        after = cpu.snapshot({"app": pids})
        load.wait()
        used = [after[str(pid)][1] - before[str(pid)][1] for pid in pids]
        shares = [round(100 * spent / max(sum(used), 1e-9)) for spent in used]
        return sorted(held, reverse=True), sorted(shares, reverse=True)
    finally:
        os.killpg(master.pid, signal.SIGTERM)
        master.wait()


def main() -> None:
    counts = [int(n) for n in os.environ.get("SPREAD_CONNECTIONS", "8,32").split(",")]
    repetitions = int(os.environ.get("SPREAD_REPETITIONS", 2))
    workers = int(os.environ.get("SPREAD_WORKERS", 4))
    even = f"even {100 / workers:.0f}"
    print(f"| settings | connections | connections per worker | % of the workers' CPU per worker ({even}) |")
    print("|---|---|---|---|")
    for connections in counts:
        for label, extra in VARIANTS.items():
            for _ in range(repetitions):
                held, shares = measure(extra, connections, workers)
                print(f"| {label} | {connections} | {held} | {shares} |", flush=True)


if __name__ == "__main__":
    main()
