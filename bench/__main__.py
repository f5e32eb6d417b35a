"""`make bench`: the city on real servers, driven by wrk; prints the tables.

Environment: SERVER (comma list of WSGI servers, or `all`: compared interleaved on trivial, QR and
rent + return; the deployed one also runs every scenario; default granian and gthread),
BENCH_DATABASE_URL / BENCH_REDIS_URL to use existing servers; BENCH_DURATION (seconds per run,
default 10), BENCH_REPETITIONS (server comparison, and the pairs of SCC1 and SCC2 runs per mode;
default 3), BENCH_CONNECTIONS (default 2 per worker), BENCH_CITIZENS (default 300,000),
BENCH_WORKERS (default 2 x cores), BENCH_SCENARIOS (comma list, default all), BENCH_LINE_FILES
(name=file,...: scenarios of request lines made beforehand, see bench/wrk.py).
"""

import dataclasses
import http.client
import json
import os
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench import cpu, dataset, report, sampling, scc2, servers, targets, wrk


def _settings() -> dict:
    cpus = os.cpu_count() or 1
    workers = int(os.environ.get("BENCH_WORKERS", 2 * cpus))
    # The deployed server runs every scenario; the baseline beside it gives the trivial ceiling the
    # issue's "× trivial" target is judged against.
    kinds = os.environ.get("SERVER") or f"{servers.DEPLOYED},{targets.BASELINE_SERVER}"
    kinds = list(servers.SERVERS) if kinds == "all" else kinds.split(",")
    # The deployed server first: the full scenario set runs on the first one named.
    kinds.sort(key=lambda kind: kind != servers.DEPLOYED)
    unknown = set(kinds) - set(servers.SERVERS)
    if unknown:
        raise SystemExit(f"SERVER: unknown {', '.join(unknown)}; known: {', '.join(servers.SERVERS)} or all")
    return {
        "cpus": cpus,
        "workers": workers,
        "servers": kinds,
        "repetitions": int(os.environ.get("BENCH_REPETITIONS", 3)),
        "connections": int(os.environ.get("BENCH_CONNECTIONS", 2 * workers)),
        # Fixed-rate rows: enough connections that a slow answer does not hold the schedule up.
        "rate_connections": int(os.environ.get("BENCH_RATE_CONNECTIONS", 4 * workers)),
        "duration_s": _whole_seconds("BENCH_DURATION", 10),
        "two_instances": os.environ.get("BENCH_TWO_INSTANCES", "1") == "1",
        "warmup_s": _whole_seconds("BENCH_WARMUP", 1),
        "citizens": int(os.environ.get("BENCH_CITIZENS", 300_000)),
        "only": [s for s in os.environ.get("BENCH_SCENARIOS", "").split(",") if s],
    }


def _whole_seconds(variable: str, default: int) -> int:
    """A duration setting: wrk takes whole seconds only (`-d 0.5s` is refused)."""
    value = os.environ.get(variable, str(default))
    if not value.isdigit():
        raise SystemExit(f"{variable}: whole seconds, such as {default}; got {value!r}")
    return int(value)


def _get_json(host: str, port: int, path: str):
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    return response.status, (json.loads(body) if response.status == 200 else None)


def _station_status_path(host: str, port: int) -> str | None:
    """The station_status feed's path, as the GBFS 2.3 discovery file lists it."""
    status, discovery = _get_json(host, port, "/gbfs/2.3/gbfs.json")
    if status != 200:
        return None
    for language in discovery.get("data", {}).values():
        for feed in language.get("feeds", []):
            if feed.get("name") == "station_status":
                url = feed["url"]
                return url[url.index("/gbfs/") :] if "/gbfs/" in url else url
    return None


def build_scenarios(server, settings: dict, fixtures: dict) -> dict:
    """wrk scenarios, or the reason a scenario cannot run yet (its endpoint is not there)."""
    host, port = server.base
    _, spec = _get_json(host, port, "/openapi.json")
    paths = set((spec or {}).get("paths", {}))
    built: dict = {"trivial": wrk.Lines("trivial", wrk.constant(wrk.line("GET", "/health")), reuse=True)}
    if "/api/v1/verifications" in paths and fixtures.get("cards"):
        pool = wrk.CardPool(fixtures["cards"], fixtures["terminal_keys"])
        built["qr_verification"] = wrk.Lines("qr_verification", pool.scc1_lines, pattern=wrk.ACCEPTED)
    else:
        built["qr_verification"] = "POST /api/v1/verifications or the card data set is missing"
    if {"/api/v1/verifications", "/api/v1/cards/scc2-key"} <= paths and fixtures.get("scc2_cards"):
        _, service_key = _get_json(host, port, "/api/v1/cards/scc2-key")  # as an app fetches it
        pool = scc2.Scc2Pool(fixtures["scc2_cards"], fixtures["terminal_keys"], service_key)
        built["qr_scc2"] = wrk.Lines("qr_scc2", pool.lines, pattern=wrk.ACCEPTED)
    else:
        built["qr_scc2"] = "GET /api/v1/cards/scc2-key or the cards with a device key are missing"
    if {"/api/v1/rentals", "/api/v1/passes"} <= paths and fixtures.get("rider_tokens"):
        built["rent_return"] = wrk.RentReturn(tokens=fixtures["rider_tokens"], station_ids=fixtures["stations"])
    else:
        built["rent_return"] = "POST /api/v1/rentals or /api/v1/passes is missing"
    built["nearest_stations"] = (
        wrk.Lines("nearest_stations", wrk.nearest_lines(), reuse=True)
        if "/api/v1/stations" in paths
        else "GET /api/v1/stations is missing"
    )
    status_path = _station_status_path(host, port)
    built["gbfs_station_status"] = (
        wrk.Lines("gbfs_station_status", wrk.constant(wrk.line("GET", status_path)), reuse=True)
        if status_path
        else "GBFS 2.3 station_status is missing"
    )
    built["login"] = wrk.Lines("login", _login_lines(settings), reuse=True)
    for entry in filter(None, os.environ.get("BENCH_LINE_FILES", "").split(",")):
        name, _, path = entry.partition("=")
        built[name] = wrk.Lines(name, wrk.file_lines(path), pattern=wrk.ACCEPTED if name.startswith("qr") else "")
    if settings["only"]:
        built = {name: s for name, s in built.items() if name in settings["only"] or name == "trivial"}
    return built


def _login_lines(settings: dict):
    """Password logins of existing citizens, each from its own client address (behind the load balancer)."""
    rng = random.Random(7)
    emails = [dataset.EMAIL.format(i) for i in range(1, min(settings["citizens"], 5000) + 1)]

    def make(n: int) -> list[str]:
        return [
            wrk.line(
                "POST",
                "/api/v1/auth/login",
                {"email": email, "password": dataset.PASSWORD},
                {"X-Forwarded-For": f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"},
            )
            for email in emails
        ]

    return make


# Latency targets are judged at a fixed load, not in the closed loop (where the cores are saturated and
# latency is queueing by construction): QR at its target rate, the station reads at half of it.
FIXED_RATES = {"qr_verification": 1000, "qr_scc2": 1000, "nearest_stations": 500, "gbfs_station_status": 500}
# The servers compared side by side, on the scenarios that tell them apart.
COMPARED = ("trivial", "qr_verification", "rent_return")


def _measure(
    name: str,
    scenario,
    server,
    roots: dict,
    settings: dict,
    workdir: Path,
    rate: float = 0,
    stamp: bool = False,
    connections: int | None = None,
) -> dict:
    how = f"at {rate:,.0f}/s" if rate else "closed loop"
    connections = connections or (settings["rate_connections"] if rate else settings["connections"])
    print(f"{server.kind} {name}: {settings['duration_s']:g} s over {connections} connections, {how} ...", flush=True)
    # A run past capacity leaves seconds of accepted requests behind when wrk stops; the next run must not
    # pay for them (they took a third of the rent + return row that followed the fixed-rate QR rows).
    cpu.wait_idle({"app": [server.process.pid], **roots}, timeout=20.0)
    if settings["warmup_s"]:  # its own lines: one-time payloads are not spent twice
        wrk.run(scenario, server, workdir, roots={}, connections=connections, duration=settings["warmup_s"])
    record = sampling.start(server.process.pid, f"{server.kind}-{name}", settings["duration_s"])
    summary = wrk.run(
        scenario,
        server,
        workdir,
        roots={"app": [server.process.pid], **roots},
        connections=connections,
        duration=settings["duration_s"],
        rate=rate,
        stamp=stamp,
    )
    summary.update(status="measured", server=server.kind)
    profile = sampling.summarise(record)
    if profile:
        summary["profile"] = profile
    print(
        f"  {summary['throughput']:,.0f}/s p50 {summary['p50_ms']:.1f} p99 {summary['p99_ms']:.1f} ms"
        f" errors {summary['errors']}" + (f" {summary['error_kinds']}" if summary["errors"] else ""),
        flush=True,
    )
    return summary


def compare_servers(servers_by_kind: dict, built: dict, roots: dict, settings: dict, workdir: Path) -> dict:
    """Each compared scenario on each server, interleaved: scenario, then repetition, then server."""
    runs: dict = {}
    for name in COMPARED:
        if isinstance(built.get(name), str) or name not in built:
            continue
        for _ in range(settings["repetitions"]):
            for kind, server in servers_by_kind.items():
                summary = _measure(name, built[name], server, roots, settings, workdir)
                runs.setdefault(name, {}).setdefault(kind, []).append(summary)
    return runs


def overload(scenario, closed_loop: dict, server, roots: dict, settings: dict, workdir: Path) -> dict:
    """QR verification at twice the measured capacity: as the app is reached directly (no stamp: every
    request queues), then as behind the load balancer (stamped: what queued past the budget is shed)."""
    rate = 2 * closed_loop["throughput"]
    connections = 2 * settings["rate_connections"]
    rows = {}
    for label, stamp in (("queued", False), ("shedding", True)):
        summary = _measure("qr_verification", scenario, server, roots, settings, workdir, rate, stamp, connections)
        summary["overload"] = label
        rows[f"qr_verification @ 2 × capacity, {label}"] = summary
    return rows


def two_instances(built: dict, chosen, env: dict, roots: dict, settings: dict, workdir: Path) -> dict:
    """QR verification and rent + return on two instances of the chosen server, each with half the
    workers and half the connections, one wrk each, at the same time; CPU over both instances."""
    second = servers.SERVERS[chosen.kind](env, workers=settings["workers"], log_path=workdir / "second.log")
    first = servers.SERVERS[chosen.kind](env, workers=settings["workers"], log_path=workdir / "first.log")
    halves, rows = (first, second), {}
    try:
        for server in halves:
            server.wait_ready()
        cpu.wait_idle({"app": [server.process.pid for server in halves]})
        for name in ("qr_verification", "rent_return"):
            if isinstance(built.get(name), str) or name not in built:
                continue
            print(f"two instances {name}: {settings['duration_s']:g} s ...", flush=True)
            app_roots = {"app": [server.process.pid for server in halves], **roots}
            scenarios = [built[name]] * 2
            if name == "rent_return":  # a rider rides on one instance at a time
                scenarios = [dataclasses.replace(built[name], tokens=built[name].tokens[i::2]) for i in range(2)]

            def drive(index: int, name=name, scenarios=scenarios, app_roots=app_roots) -> dict:
                return wrk.run(
                    scenarios[index],
                    halves[index],
                    workdir,
                    roots=app_roots if index == 0 else {},
                    connections=settings["connections"] // 2,
                    duration=settings["duration_s"],
                )

            with ThreadPoolExecutor(2) as pool:
                parts = list(pool.map(drive, range(2)))
            rows[name] = {
                **parts[0],
                "throughput": sum(part["throughput"] for part in parts),
                "units_per_s": sum(part["units_per_s"] for part in parts),
                "p99_ms": max(part["p99_ms"] for part in parts),
                "cores": {**parts[0]["cores"], "load generator": sum(part["client_cores"] for part in parts)},
            }
            print(f"  {rows[name]['throughput']:,.0f}/s ({rows[name]['units_per_s']:,.0f} units/s)", flush=True)
    finally:
        for server in halves:
            server.stop()
    return rows


def run_scenarios(built: dict, server, roots: dict, settings: dict, workdir: Path) -> dict:
    results = {}
    paired = all(not isinstance(built.get(name, ""), str) for name in scc2.SCENARIOS)

    def measure(name: str, rate: float) -> dict:  # one run of SCC1 or SCC2, for their pairs
        return _measure(name, built[name], server, roots, settings, workdir, rate=rate)

    for name, scenario in built.items():
        if name in results:  # measured with its pair
            continue
        if paired and name in scc2.SCENARIOS:  # SCC1 and SCC2 back to back, repeated (bench/scc2.py)
            results.update(scc2.alternate(measure, rate=FIXED_RATES[name], repetitions=settings["repetitions"]))
            continue
        if isinstance(scenario, str):
            print(f"{name}: not available ({scenario})", flush=True)
            results[name] = {"status": "not available", "reason": scenario}
            continue
        results[name] = _measure(name, scenario, server, roots, settings, workdir)
        rate = FIXED_RATES.get(name)
        if rate:
            results[f"{name} @ {rate}/s"] = _measure(name, scenario, server, roots, settings, workdir, rate=rate)
    if results.get("qr_verification", {}).get("status") == "measured":
        results.update(overload(built["qr_verification"], results["qr_verification"], server, roots, settings, workdir))
    trivial = results["trivial"]["throughput"] or 1
    for summary in results.values():
        if summary.get("status") == "measured" and not summary["fixed_rate"]:
            summary["ratio_to_trivial"] = summary["throughput"] / trivial
    scc2.compare_with_scc1(results)
    return results


def main() -> int:
    with servers.scratch_folder("seoul-bench-") as workdir:
        return _main(workdir)


def _main(workdir: Path) -> int:
    from bench import fixtures as bench_fixtures
    from bench import plan

    settings = _settings()
    notes: list[str] = []
    with servers.database_and_redis(workdir) as (database_url, redis_url, roots):
        if not roots:
            notes.append("PostgreSQL and Redis were given (BENCH_DATABASE_URL, BENCH_REDIS_URL): CPU not measured")
        env = servers.production_environment(database_url, redis_url, PROXY_COUNT="1")
        os.environ.update(env)
        print("migrating ...", flush=True)
        servers.migrate(env)
        from core.app import create_app

        app = create_app()
        started = time.perf_counter()
        with app.app_context():
            data = bench_fixtures.load(settings, notes)
        data["load_seconds"] = time.perf_counter() - started
        print(f"data set loaded in {data['load_seconds']:.0f} s: {data}", flush=True)
        running = {}
        try:
            for kind in settings["servers"]:
                log_path = workdir / f"{kind}.log"
                running[kind] = servers.SERVERS[kind](env, workers=settings["workers"], log_path=log_path)
            for server in running.values():
                server.wait_ready()
            cpu.wait_idle({"app": [server.process.pid for server in running.values()]})
            chosen = running[settings["servers"][0]]
            with app.app_context():
                fixtures = bench_fixtures.prepare_clients(chosen, settings, notes)
            data.update(fixtures.get("counts", {}))
            built = build_scenarios(chosen, settings, fixtures)
            if fixtures.get("terminal_keys"):  # terminals in service have been used: their cache entries are warm
                for server in running.values():
                    bench_fixtures.warm_terminals(server, fixtures)
            comparison = compare_servers(running, built, roots, settings, workdir) if len(running) > 1 else {}
            scenario_results = run_scenarios(built, chosen, roots, settings, workdir)
        finally:
            for server in running.values():
                server.stop()
        # Two instances of half the workers each, as the deployment scales out (after the others stopped).
        halves = {**settings, "workers": max(1, settings["workers"] // 2)}
        scaled = two_instances(built, chosen, env, roots, halves, workdir) if settings["two_instances"] else {}
        wanted = not settings["only"] or "rebalancing_plan" in settings["only"]
        if wanted:
            print("rebalancing plan ...", flush=True)
        plan_result = plan.time_full_city_plan() if wanted else {}
    results = {
        "setup": {**{k: v for k, v in settings.items() if k != "only"}, "data": data},
        "servers": comparison,
        "scenarios": scenario_results,
        "two_instances": scaled,
        "rebalancing_plan": plan_result,
        "notes": notes,
    }
    targets.add_baseline_ratios(results)
    print()
    print(report.write(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
