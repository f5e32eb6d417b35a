"""Where the machine's cores go while a scenario runs: CPU seconds per component, read from /proc.

The closed loop fills the two cores, so throughput is set by the CPU each request costs in ALL the
processes it touches. Splitting that cost into the app workers, PostgreSQL, Redis and the load
generator shows which one a target is waiting on. Linux only; elsewhere the split is left out.
"""

import os
import threading
import time
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(pid: str) -> float:
    # /proc/PID/stat: the command may hold spaces, so count the fields after its closing parenthesis.
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime


def _descendants(pid: str) -> list[str]:
    """`pid` and every process under it (gunicorn's workers, PostgreSQL's backends)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            queue += task.read_text().split()
    return found


def snapshot(roots: dict[str, list[int]]) -> dict[str, tuple[str, float]]:
    """pid -> (component, CPU seconds so far) for the process trees of each component's root pids.

    Only the bench's own servers count: on a shared machine other PostgreSQL and Redis servers run too.
    """
    processes = {}
    for component, pids in roots.items():
        for root in pids:
            try:
                tree = _descendants(str(root))
            except OSError:
                continue
            for pid in tree:
                try:
                    processes[pid] = (component, _cpu_seconds(pid))
                except (OSError, IndexError, ValueError):  # the process ended between listing and reading
                    continue
    return processes


class Window:
    """Measures the components' CPU between two wall-clock instants, from a background thread."""

    def __init__(self, roots: dict[str, list[int]], start_at: float, end_at: float):
        self.roots, self.start_at, self.end_at = roots, start_at, end_at
        self.seconds: dict[str, float] = {}
        self.app_processes: list[float] = []  # CPU seconds of each app process (master and workers)
        self._thread = threading.Thread(target=self._measure, daemon=True)
        self._thread.start()

    def _measure(self) -> None:
        if not Path("/proc/self/stat").exists():
            return
        time.sleep(max(0.0, self.start_at - time.time()))
        before = snapshot(self.roots)
        time.sleep(max(0.0, self.end_at - time.time()))
        after = snapshot(self.roots)
        # Per process, so a worker recycled in the window counts from its start (what the one that left
        # spent in the window is lost: a small undercount).
        for pid, (component, spent) in after.items():
            used = spent - before.get(pid, (component, 0.0))[1]
            self.seconds[component] = self.seconds.get(component, 0.0) + used
            if component == "app":
                self.app_processes.append(used)

    def cores(self) -> dict[str, float]:
        """Cores each component used on average over the window ({} where /proc is missing)."""
        self._thread.join()
        span = self.end_at - self.start_at
        return {name: round(seconds / span, 3) for name, seconds in self.seconds.items()}

    def busiest_app_process(self) -> float | None:
        """Cores the busiest app process used: near 1 while others idle, the load sits on one worker.

        A threaded worker accepts connections until it holds many, so a few long-lived connections
        can all land on one worker, which then has one core however many are free.
        """
        self._thread.join()
        return round(max(self.app_processes) / (self.end_at - self.start_at), 3) if self.app_processes else None


def wait_idle(roots: dict[str, list[int]], *, below: float = 0.25, timeout: float = 60.0) -> None:
    """Wait until the process trees use less than `below` cores over a second.

    A server answers once one worker is up; the others may still be importing the app, which would
    take the first measurement's cores. And a run past capacity leaves queued requests (and their
    writes for PostgreSQL's background work) that would take the next run's.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = snapshot(roots)
        time.sleep(1.0)
        after = snapshot(roots)
        used = sum(spent - before.get(pid, (component, spent))[1] for pid, (component, spent) in after.items())
        if used < below:
            return
