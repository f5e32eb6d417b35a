"""`bench/results.json` and `bench/RESULTS.md`: the figures against DESIGN.md's targets."""

import json
import platform
from pathlib import Path

from bench import scc2
from bench.targets import TARGETS, shortfall, verdict

HERE = Path(__file__).resolve().parent

METHOD = [
    "",
    "## Method and caveats",
    "",
    "- Closed-loop rows find the throughput: each connection sends its next request when the answer "
    "arrives, so the cores are saturated and latency there is mostly queueing. Rows `@ N/s` send at "
    "that fixed rate and count each request's latency from when it was due, so a server that falls "
    "behind shows it; the latency targets are judged there.",
    "- The load generator is wrk (C, epoll; Lua scripts in `bench/wrk/`), one connection per wrk thread, "
    "on the same two cores as the servers; the CPU table shows what it took. Fixed-rate rows keep their "
    "schedule in the Lua script (wrk2 is not packaged in Debian) and time each request from when it was due.",
    "- Only the bench's own PostgreSQL and Redis process trees are counted (other servers on a shared "
    "machine are not).",
    "- granian runs the deployment's settings (`docker/granian.env`: half the workers as processes, 4 "
    "threads each, keep-alive in its Rust I/O), as behind nginx with upstream keep-alive. The others: "
    "gunicorn gthread (`bench/gunicorn.conf.py`, deployed until this comparison: the workers × 4 threads), "
    "gunicorn sync (2 × the workers, no keep-alive), pyuwsgi (the workers × 2 threads, HTTP/1.1 "
    "keep-alive). Under every one the app writes the access log (core/observability.py: errors, slow "
    "answers, 1 in 100 of the rest); the servers' own access logs are off.",
    "- The production settings are used (argon2id at t=3, 64 MiB; JSON logs).",
    "- QR codes are computed with pyotp from the enrolment secrets just before each run; every payload "
    "is used once (warm-up runs get their own cards). Terminals are used once before the runs (their "
    "cache is warm, as in service).",
    "- Rent + return: riders with passes rent at a random station and return at another; an empty "
    "or full station (409) sends the rider to another one, as the API's answer suggests.",
    "- The rebalancing plan uses the shipped station list and 05:29 stock with SYNTHETIC demand rates "
    "(timing only; decision quality is measured by `flask bikeshare evaluate`).",
]


SERVER_CHOICE = [
    "",
    "## Server choice",
    "",
    "docker/ runs granian's WSGI interface (`docker/granian.env`), chosen by three interleaved comparisons "
    "on a loaded shared machine (2 repetitions each, 2026-11-29; ratios only; bench/RESULTS.md): granian "
    "spent less app CPU per request than gunicorn gthread on trivial (0.52-0.67 ms against 0.83-1.22) "
    "and rent + return (4.38-5.80 against 4.92-6.52) every time; on QR verification once less (2.92 "
    "against 6.73) and once more (6.33 against 4.61), serving 1.32 and 1.21 × gthread's QR throughput. "
    "What docker/ needs, as granian 2.8.9 gives it:",
    "- graceful reload: SIGHUP starts a new worker before stopping the old one, one worker at a time; "
    "SIGTERM stops gracefully within --workers-kill-timeout (20 s).",
    "- worker recycling: --workers-lifetime (6 h, the same rolling respawn); there is no request count.",
    "- the SIGKILL drill: --respawn-failed-workers replaces a killed worker after 1 s while the other "
    "serves; the failure drills and the two-instance races in tests/system run on the deployed server.",
    "- access logs: the app's (sampled, core/observability.py) and nginx's (every request, buffered), "
    "the same under any server.",
    "- request timeouts: granian has none for WSGI, and neither had gunicorn gthread: its `timeout` "
    "watches the worker's main loop, which goes on beating while a request thread hangs. A hung request "
    "is bounded by its dependencies (Redis socket_timeout 2 s) and nginx answers the client after "
    "proxy_read_timeout; PostgreSQL's statement_timeout (15 s in production, DATABASE_STATEMENT_TIMEOUT_MS) "
    "bounds the rest.",
    "Not chosen: pyuwsgi (harakiri is a real per-request timeout, and it has max-requests, chain reload "
    "and C access logs with --log-5xx/--log-slow; but --http11-socket holds a thread per idle keep-alive "
    "connection, so behind nginx it needs uwsgi_pass, a connection per request, which this bench cannot "
    "measure without nginx; its CPU per request fell between gthread's and granian's); gunicorn sync (no "
    "keep-alive, more CPU per request than granian); bjoern (not run: one process without a master, "
    "recycling, timeouts or reloads, all of which would be ours to write).",
    "Connections over workers: granian's busiest of 2 workers did 51-67 % of the app's CPU (even 50); "
    "gthread's busiest of 4 did 31-46 % (even 25). `python -m bench.spread` counts connections per "
    "gthread worker: `worker_connections = 2 × threads` puts nginx's 32 keep-alive connections 8 on each "
    "of 4 workers every time, where gunicorn's default gave 10/9/7/6 up to 20/5/5/2 and per-worker "
    "SO_REUSEPORT sockets (the kernel hashing connections) 8/8/8/8 to 13/8/6/5; with only 8 connections "
    "the remainder is granularity (3/2/2/1).",
]


def _row(name: str, s: dict) -> str:
    target = TARGETS.get(name)
    target_text = target.text if target else "-"
    if s.get("status") == "not available":
        return f"| {name} | not available | | | | | | {target_text} | not available |"
    rate = f"{s['throughput']:,.0f} req/s"
    if name == "rent_return":
        rate = f"{s['units_per_s']:,.0f} pairs/s ({s['throughput']:,.0f} req/s)"
    ratio = f"{s['ratio_to_trivial']:.2f}" if "ratio_to_trivial" in s else "-"
    if "ratio_to_baseline_trivial" in s:
        ratio += f" ({s['ratio_to_baseline_trivial']:.2f})"
    return (
        f"| {name} | {rate} | {s.get('p50_ms', 0):.1f} | {s.get('p95_ms', 0):.1f} | {s.get('p99_ms', 0):.1f} "
        f"| {s['errors']} | {ratio} | {target_text} | {verdict(name, s)} |"
    )


COMPONENTS = ("app", "PostgreSQL", "Redis", "load generator")


def _cpu_row(name: str, s: dict) -> str:
    """CPU milliseconds each component spent per request answered, and the cores left idle."""
    cores = s["cores"]
    per_request = [1000 * cores.get(component, 0.0) / max(s["throughput"], 1e-9) for component in COMPONENTS]
    cells = " | ".join(f"{ms:.2f}" for ms in per_request)
    idle = max(0.0, s["machine_cores"] - sum(cores.values()))
    busiest = s.get("busiest_worker_cores")
    busiest_text = "-" if busiest is None else f"{busiest:.2f} of {cores.get('app', 0):.2f}"
    return f"| {name} | {cells} | {sum(per_request):.2f} | {idle:.2f} | {busiest_text} |"


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0


def _per_request_ms(summary: dict, component: str | None = None) -> float:
    cores = summary.get("cores", {})
    used = cores.get(component, 0.0) if component else sum(cores.values())
    return 1000 * used / max(summary["throughput"], 1e-9)


def _busiest_share(runs: list[dict]) -> str:
    """The busiest app process's share of the app's CPU per run, and the share of an even spread over
    the workers (the processes but the server's master)."""
    shares = [
        f"{100 * r['busiest_worker_cores'] / r['cores']['app']:.0f}"
        for r in runs
        if r.get("busiest_worker_cores") and r.get("cores", {}).get("app")
    ]
    workers = max((r.get("app_processes", 0) - 1 for r in runs), default=0)
    even = f" (even {100 / workers:.0f})" if workers > 0 else ""
    return ", ".join(shares) + even if shares else "-"


def server_table(comparison: dict) -> list[str]:
    """Medians over the interleaved repetitions, per scenario and server, and ratios to gunicorn gthread."""
    lines = [
        "| scenario | server | throughput (median) | runs | p50 ms | p99 ms | app CPU ms/req | all CPU ms/req "
        "| × gthread | × trivial, same server | × trivial under gthread | busiest process, % of the app's CPU |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    trivial = {kind: _median([r["throughput"] for r in runs]) for kind, runs in comparison.get("trivial", {}).items()}
    for name, by_server in comparison.items():
        baseline = _median([r["throughput"] for r in by_server.get("gthread", [])]) or None
        for kind, runs in by_server.items():
            rate = _median([r["units_per_s"] if name == "rent_return" else r["throughput"] for r in runs])
            throughput = _median([r["throughput"] for r in runs])
            unit = "pairs/s" if name == "rent_return" else "/s"
            spread = ", ".join(f"{r['units_per_s'] if name == 'rent_return' else r['throughput']:,.0f}" for r in runs)
            vs_gthread = f"{throughput / baseline:.2f}" if baseline else "-"
            own = f"{throughput / trivial[kind]:.2f}" if trivial.get(kind) and name != "trivial" else "-"
            gth = f"{throughput / trivial['gthread']:.2f}" if trivial.get("gthread") and name != "trivial" else "-"
            p50, p99 = _median([r["p50_ms"] for r in runs]), _median([r["p99_ms"] for r in runs])
            app_ms = _median([_per_request_ms(r, "app") for r in runs])
            all_ms = _median([_per_request_ms(r) for r in runs])
            lines.append(
                f"| {name} | {kind} | {rate:,.0f} {unit} | {spread} | {p50:.1f} | {p99:.1f} | {app_ms:.2f} "
                f"| {all_ms:.2f} | {vs_gthread} | {own} | {gth} | {_busiest_share(runs)} |"
            )
    return lines


# Rates the capacity model sizes for: DESIGN.md's targets as the peak, and ten times them.
PEAK_RATES = {"qr_verification": (1000, "verifications/s"), "rent_return": (300, "rent + return pairs/s")}


def capacity_model(results: dict) -> list[str]:
    """Cores per component for the peak and 10 x it, from this run's CPU per request (closed loop)."""
    rows = []
    for name, (rate, unit) in PEAK_RATES.items():
        s = results["scenarios"].get(name, {})
        if s.get("status") != "measured" or not s.get("cores"):
            continue
        per_unit = {c: 1000 * s["cores"].get(c, 0.0) / max(s["units_per_s"], 1e-9) for c in COMPONENTS[:3]}
        for factor in (1, 10):
            cores = {c: rate * factor * ms / 1000 for c, ms in per_unit.items()}
            cells = " | ".join(f"{per_unit[c]:.2f} ms → {cores[c]:.1f}" for c in COMPONENTS[:3])
            rows.append(f"| {name} | {rate * factor:,} {unit} | {cells} | {sum(cores.values()):.1f} |")
    if not rows:
        return []
    return [
        "",
        "## Capacity model (from this run's CPU per unit of work)",
        "",
        "| work | rate | app: CPU per unit → cores | PostgreSQL | Redis | cores in all |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        "A unit is one verification, or one rent + return pair (two requests). On a shared machine CPU per "
        "request is inflated by the other processes (cache, scheduler, frequency): read these as upper bounds "
        "and the ratios between components as the finding. App instances scale out behind nginx (each is "
        "stateless: sessions, limits and one-time steps live in PostgreSQL and Redis); PostgreSQL and Redis "
        "do not, and they set the ceiling:",
        "- PostgreSQL takes one read, one write statement and a commit per verification (the card's step, "
        "the visit and its audit row; acceptances commit without waiting for the WAL flush, see "
        "cardapi/services/verification.py) and a few statements per rent or return. At 10 × the peak that "
        "is 10,000 small commits/s for QR alone: one primary on ~15 dedicated cores by this run's figures, "
        "and the first limit. Read replicas do not help: the hot paths write. Splitting the card and the "
        "bike share data onto two primaries does (they share only accounts).",
        "- Connections: every app thread uses up to two, one from the pool and one kept in autocommit for the "
        "statements that commit alone (at most the pool's size per process): 4 workers × 4 threads × 2 = 32 per "
        "instance; 20 instances would hold 640 backends, most idle. PgBouncer in transaction mode keeps the "
        "backends near the core count; the prebuilt statements are server-side prepared, which PgBouncer ≥ 1.21 "
        "supports (max_prepared_statements).",
        "- Redis does one script call per verification and one session check per authenticated request: "
        "~0.1-0.3 ms of CPU each, so one Redis core carries ~5,000-10,000 verifications/s. Past that, Redis "
        "Cluster shards by key; the verification keys are per card and per terminal, so they spread "
        "(a script touching several keys needs them in one hash slot: a {card} hash tag).",
    ]


def markdown(results: dict) -> str:
    setup = results["setup"]
    lines = [
        "# Benchmark results",
        "",
        f"Measured by `make bench` on {setup['cpus']} cores ({setup['machine']}): the app under "
        f"{setup['servers'][0]} with {setup['workers']} workers on PostgreSQL + Redis, driven by wrk on the same "
        f"machine over {setup['connections']} connections (closed loop) or {setup['rate_connections']} "
        f"(fixed rate), {setup['duration_s']:g} s per run after {setup['warmup_s']:g} s of warm-up.",
        f"Data set: {setup['data'].get('citizens', 0):,} citizens, {setup['data'].get('cards', 0):,} cards "
        f"({setup['data'].get('cards_with_device_key', 0):,} with a device key for SCC2), "
        f"{setup['data'].get('stations', 0):,} stations, {setup['data'].get('bikes', 0):,} bikes, "
        f"{setup['data'].get('facilities', 0):,} facilities with {setup['data'].get('terminals', 0):,} "
        f"terminals (loaded in {setup['data'].get('load_seconds', 0):.0f} s).",
        "",
        "| scenario | throughput | p50 ms | p95 ms | p99 ms | errors | × trivial (× gthread's) | target | verdict |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [_row(name, summary) for name, summary in results["scenarios"].items() if not summary.get("overload")]
    plan = results.get("rebalancing_plan", {})
    if plan.get("status") == "not available":
        lines.append("| rebalancing plan | not available | | | | | | ≤ 30 s | not available |")
    elif plan:
        met = "met" if plan["seconds"] <= 30 else "NOT met"
        lines.append(
            f"| rebalancing plan ({plan['stations']:,} stations, {plan['trucks']} trucks of {plan['capacity']}) "
            f"| {plan['seconds']:.1f} s | | | | | | ≤ 30 s | {met} |"
        )
    lines += [
        "",
        "Errors are answers other than the expected status (details in `results.json`). × trivial is against "
        "this server's trivial row; in brackets against gthread's, the issue's baseline, when the servers were "
        "compared.",
    ]
    if any(s.get("runs") for s in results["scenarios"].values()):
        lines[-1] += (
            " The SCC1 and SCC2 verification rows are each their median-throughput run of the back-to-back pairs "
            "(section SCC2 beside SCC1)."
        )
    overloaded = {name: s for name, s in results["scenarios"].items() if s.get("overload")}
    if overloaded:
        lines += [
            "",
            "## Overload: QR verification at twice the measured capacity",
            "",
            "| row | offered | served /s | p99 of served ms | 503 shed | p99 of all answers ms |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {name} | {s['fixed_rate']:,.0f}/s | {s['throughput']:,.0f} | {s['answered_p99_ms']:.1f} "
            f"| {s['statuses'].get('503', 0):,} | {s['p99_ms']:.1f} |"
            for name, s in overloaded.items()
        ]
        lines += [
            "",
            "`queued`: the app reached directly, every request waits its turn. `shedding`: each request "
            "carries the load balancer's arrival stamp (X-Request-Start), and one that queued longer than "
            "the budget (core/overload.py) is answered 503 + Retry-After at once.",
        ]
    lines += scc2.beside_scc1(results["scenarios"])
    if results.get("servers"):
        lines += [
            "",
            "## WSGI servers side by side (interleaved: scenario, repetition, server)",
            "",
            *server_table(results["servers"]),
            "",
            "CPU per request counts every component (app, PostgreSQL, Redis, wrk); on a shared machine it is "
            "the steadier figure, throughput the noisier one.",
        ]
    split = [(name, s) for name, s in results["scenarios"].items() if s.get("cores", {}).get("app") is not None]
    if split:
        lines += [
            "",
            "## Where the cores go (CPU ms per request, measured window, from /proc)",
            "",
            "| scenario | " + " | ".join(COMPONENTS) + " | total | cores the bench left "
            "| busiest worker, cores of the app's |",
            "|---|" + "---|" * (len(COMPONENTS) + 3),
            *(_cpu_row(name, {**s, "machine_cores": setup["cpus"]}) for name, s in split),
            "",
            f"The closed loop keeps the {setup['cpus']} cores busy, so throughput ≈ cores / total: a target "
            "needs the total per request to fit (1,000/s on 2 cores leaves 2 ms for everything). A busiest "
            "worker near 1 core with cores idle means the connections sat on one worker.",
        ]
    lines += shortfall(results, [name for name, s in results["scenarios"].items() if verdict(name, s) == "NOT met"])
    two = results.get("two_instances") or {}
    if two:
        lines += [
            "",
            "## Two instances on one PostgreSQL and Redis (half the workers each, one wrk each, same two cores)",
            "",
            "| scenario | one instance | two instances | app CPU ms/req (two) | all CPU ms/req (two) |",
            "|---|---|---|---|---|",
        ]
        for name, s2 in two.items():
            one = results.get("two_instances_baseline", results["scenarios"]).get(name, {})
            unit = "units_per_s" if name == "rent_return" else "throughput"
            lines.append(
                f"| {name} | {one.get(unit, 0):,.0f}/s | {s2[unit]:,.0f}/s | {_per_request_ms(s2, 'app'):.2f} "
                f"| {_per_request_ms(s2):.2f} |"
            )
        lines += [
            "",
            "On one machine a second instance adds no cores, so the row shows the cost of scaling out "
            "(more processes and connections for the same CPU); instances on more machines add their cores.",
        ]
    lines += capacity_model(results)
    if results.get("servers"):
        lines += SERVER_CHOICE
    lines += METHOD
    profiled = {name: s["profile"] for name, s in results["scenarios"].items() if s.get("profile")}
    if profiled:
        lines += ["", "## Where the workers' time goes (py-spy samples, leaf frame by layer)", ""]
        for name, profile in profiled.items():
            top = ", ".join(f"{layer} {share:g} %" for layer, share in list(profile["leaf_layer_percent"].items())[:4])
            lines.append(f"- {name}: {top}")
    notes = results.get("notes") or []
    if notes:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


def write(results: dict) -> str:
    results["setup"].setdefault("machine", platform.machine())
    results["setup"].setdefault("load_average", Path("/proc/loadavg").read_text().split()[:3])
    (HERE / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    text = markdown(results)
    (HERE / "RESULTS.md").write_text(text)
    return text
