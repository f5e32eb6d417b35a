"""`make bench`: the city on real servers, driven from separate load processes; prints the table.

Environment: BENCH_DATABASE_URL / BENCH_REDIS_URL to use existing servers; BENCH_DURATION
(seconds per scenario, default 10), BENCH_CONNECTIONS (default 2 per worker), BENCH_CITIZENS
(default 300,000), BENCH_WORKERS (default 2 x cores), BENCH_SCENARIOS (comma list, default all).
"""

import dataclasses
import http.client
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bench import dataset, loadgen, report, sampling, scenarios, servers


def _settings() -> dict:
    cpus = os.cpu_count() or 1
    workers = int(os.environ.get("BENCH_WORKERS", 2 * cpus))
    return {
        "cpus": cpus,
        "workers": workers,
        "connections": int(os.environ.get("BENCH_CONNECTIONS", 2 * workers)),
        "load_processes": min(2, cpus),
        "duration_s": float(os.environ.get("BENCH_DURATION", 10)),
        "warmup_s": float(os.environ.get("BENCH_WARMUP", 1)),
        "citizens": int(os.environ.get("BENCH_CITIZENS", 300_000)),
        "only": [s for s in os.environ.get("BENCH_SCENARIOS", "").split(",") if s],
    }


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


def build_scenarios(app, gunicorn, settings: dict, fixtures: dict) -> dict:
    """Scenario objects, or the reason a scenario cannot run yet (its endpoint is not there)."""
    host, port = gunicorn.base
    _, spec = _get_json(host, port, "/openapi.json")
    paths = set((spec or {}).get("paths", {}))
    built: dict = {"trivial": scenarios.Trivial()}
    if "/api/v1/verifications" in paths and fixtures.get("cards"):
        built["qr_verification"] = scenarios.Verify(
            cards=fixtures["cards"], terminal_keys=fixtures["terminal_keys"], absent_card=fixtures["absent_card"]
        )
    else:
        built["qr_verification"] = "POST /api/v1/verifications or the card data set is missing"
    if {"/api/v1/rentals", "/api/v1/passes"} <= paths and fixtures.get("rider_tokens"):
        built["rent_return"] = scenarios.RentReturn(tokens=fixtures["rider_tokens"], station_ids=fixtures["stations"])
    else:
        built["rent_return"] = "POST /api/v1/rentals or /api/v1/passes is missing"
    built["nearest_stations"] = (
        scenarios.Nearest() if "/api/v1/stations" in paths else "GET /api/v1/stations is missing"
    )
    status_path = _station_status_path(host, port)
    built["gbfs_station_status"] = (
        scenarios.StationStatus(path=status_path) if status_path else "GBFS 2.3 station_status is missing"
    )
    emails = [dataset.EMAIL.format(i) for i in range(1, min(settings["citizens"], 5000) + 1)]
    built["login"] = scenarios.Login(emails=emails, password=dataset.PASSWORD)
    if settings["only"]:
        built = {name: s for name, s in built.items() if name in settings["only"] or name == "trivial"}
    return built


# Latency targets are judged at a fixed load, not in the closed loop (where the cores are saturated and
# latency is queueing by construction): QR at its target rate, the station reads at half of it.
FIXED_RATES = {"qr_verification": 1000, "nearest_stations": 500, "gbfs_station_status": 500}


def _measure(name: str, scenario, gunicorn, settings: dict, rate: float | None = None) -> dict:
    host, port = gunicorn.base
    how = f"at {rate:,.0f}/s" if rate else "closed loop"
    print(f"{name}: {settings['duration_s']:g} s over {settings['connections']} connections, {how} ...", flush=True)
    if hasattr(scenario, "warm"):
        scenario.warm(host, port)
    record = sampling.start(gunicorn.process.pid, name, settings["duration_s"] + settings["warmup_s"] + 1.5)
    summary = loadgen.run(
        scenario,
        host,
        port,
        connections=settings["connections"],
        # At a fixed rate each connection gets its own process: threads of one Python process wait for
        # each other's GIL, which would count as the server's latency.
        processes=settings["connections"] if rate else settings["load_processes"],
        duration=settings["duration_s"],
        warmup=settings["warmup_s"],
        server_pid=gunicorn.process.pid,
        rate=rate,
    )
    summary["status"] = "measured"
    profile = sampling.summarise(record)
    if profile:
        summary["profile"] = profile
    print(
        f"  {summary['throughput']:,.0f}/s p99 {summary.get('p99_ms', 0):.1f} ms errors {summary['errors']}"
        + (f" {summary['error_kinds']}" if summary["errors"] else ""),
        flush=True,
    )
    return summary


def run_scenarios(built: dict, gunicorn, settings: dict) -> dict:
    results = {}
    for name, scenario in built.items():
        if isinstance(scenario, str):
            print(f"{name}: not available ({scenario})", flush=True)
            results[name] = {"status": "not available", "reason": scenario}
            continue
        results[name] = _measure(name, scenario, gunicorn, settings)
        rate = FIXED_RATES.get(name)
        if rate:
            if isinstance(scenario, scenarios.Verify):  # codes are used once: the second run shows other cards
                scenario = dataclasses.replace(scenario, cards=scenario.cards[len(scenario.cards) // 2 :])
            results[f"{name} @ {rate}/s"] = _measure(name, scenario, gunicorn, settings, rate=rate)
    trivial = results["trivial"]["throughput"] or 1
    for summary in results.values():
        if summary.get("status") == "measured" and not summary["fixed_rate"]:
            summary["ratio_to_trivial"] = summary["throughput"] / trivial
    return results


def main() -> int:
    from bench import fixtures as bench_fixtures
    from bench import plan

    settings = _settings()
    workdir = Path(tempfile.mkdtemp(prefix="seoul-bench-"))
    notes: list[str] = []
    with servers.database_and_redis(workdir) as (database_url, redis_url):
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
        gunicorn = servers.Gunicorn(env, workers=settings["workers"], log_path=workdir / "gunicorn.log")
        try:
            gunicorn.wait_ready()
            with app.app_context():
                fixtures = bench_fixtures.prepare_clients(gunicorn, settings, notes)
            data.update(fixtures.get("counts", {}))
            built = build_scenarios(app, gunicorn, settings, fixtures)
            scenario_results = run_scenarios(built, gunicorn, settings)
        finally:
            gunicorn.stop()
        print("rebalancing plan ...", flush=True)
        plan_result = plan.time_full_city_plan()
    results = {
        "setup": {**{k: v for k, v in settings.items() if k != "only"}, "data": data},
        "scenarios": scenario_results,
        "rebalancing_plan": plan_result,
        "notes": notes,
    }
    print()
    print(report.write(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
