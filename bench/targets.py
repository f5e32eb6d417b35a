"""DESIGN.md's and the performance issue's targets, the verdict on each row, and for the targets a run
missed, what its CPU per request says about why and what would meet them."""

import math
from dataclasses import dataclass

COMPONENTS = ("app", "PostgreSQL", "Redis", "load generator")
# The issue compares QR throughput with the trivial endpoint under gunicorn gthread (the server deployed
# before this comparison), whatever server the bench chose.
BASELINE_SERVER = "gthread"


@dataclass(frozen=True)
class Target:
    """One row's target. Closed-loop rows are judged on throughput (`rate`, units per second, and
    `of_baseline_trivial`); rows at a fixed rate on keeping up with it and on `p99_ms`; SCC2 on the
    machine CPU it costs beyond SCC1 in the same run (`cpu_over_scc1_ms`)."""

    text: str
    rate: float = 0.0
    p99_ms: float = 0.0
    of_baseline_trivial: float = 0.0
    cpu_over_scc1_ms: float = 0.0

    def met(self, s: dict) -> bool:
        if self.cpu_over_scc1_ms:
            return s.get("cpu_vs_scc1_ms", math.inf) <= self.cpu_over_scc1_ms
        fixed = s.get("fixed_rate")
        # A fixed-rate row keeps up when it serves 99 % of what was offered (the last second's answers
        # may still be on their way when wrk stops).
        kept_up = s["throughput"] >= 0.99 * fixed if fixed else s["units_per_s"] >= self.rate
        within = not self.p99_ms or s["p99_ms"] <= self.p99_ms
        ratio = s.get("ratio_to_baseline_trivial", s.get("ratio_to_trivial", 0.0))
        return kept_up and within and ratio >= self.of_baseline_trivial


QR_AT_RATE = Target("1,000/s sustained, p99 ≤ 25 ms", p99_ms=25)
# row -> target; rows named "scenario @ N/s" ran at that fixed rate, where latency targets are judged (a
# request's latency counts from when it was due); throughput targets are judged in the closed loop.
TARGETS = {
    "qr_verification": Target("≥ 1,000/s, ≥ 0.4 × trivial under gthread", rate=1000, of_baseline_trivial=0.4),
    "qr_verification @ 1000/s": QR_AT_RATE,
    "qr_scc2": Target("CPU ≤ SCC1's + 0.3 ms", cpu_over_scc1_ms=0.3),
    "qr_scc2 @ 1000/s": QR_AT_RATE,
    "rent_return": Target("≥ 300 pairs/s", rate=300),
    "nearest_stations @ 500/s": Target("p99 ≤ 10 ms", p99_ms=10),
    "gbfs_station_status @ 500/s": Target("p99 ≤ 50 ms", p99_ms=50),
}


def verdict(name: str, summary: dict) -> str:
    if summary.get("status") == "not available":
        return "not available"
    target = TARGETS.get(name)
    if target is None:
        return "-"
    return "met" if target.met(summary) else "NOT met"


def add_baseline_ratios(results: dict) -> None:
    """Each closed-loop row's throughput against the baseline server's trivial throughput."""
    _, trivial = baseline_trivial(results)
    for summary in results["scenarios"].values():
        if trivial and summary.get("status") == "measured" and not summary.get("fixed_rate"):
            summary["ratio_to_baseline_trivial"] = summary["throughput"] / trivial


def baseline_trivial(results: dict) -> tuple[str, float]:
    """The server and throughput the `× trivial` targets are judged against: gthread's trivial as it would have
    served in the scenario runs when the servers were compared, else the chosen server's own trivial row.

    The comparison runs minutes before the scenarios, and a shared host's speed can change in between: the
    interleaved runs give the two servers' ratio on the same minutes, the scenario runs the chosen one's speed.
    """
    compared = results.get("servers", {}).get("trivial", {})
    chosen = results["setup"]["servers"][0]
    own = results["scenarios"].get("trivial", {}).get("throughput", 0.0)
    baseline = _median_throughput(compared.get(BASELINE_SERVER, []))
    if not baseline:
        return chosen, own
    beside = _median_throughput(compared.get(chosen, []))
    return BASELINE_SERVER, baseline * own / beside if beside and own else baseline


def _median_throughput(runs: list[dict]) -> float:
    return sorted(run["throughput"] for run in runs)[len(runs) // 2] if runs else 0.0


def capacity_for_p99_wait(rate: float, cores: int, p99_s: float) -> float:
    """The least capacity (requests/s over `cores`) at which an M/M/c queue offered `rate` keeps the
    99th percentile of waiting within `p99_s`: P(wait > t) = C · exp(-(capacity - rate) · t), with C
    Erlang's probability of waiting. A lower bound for the service's p99, which adds the work itself."""
    capacity = rate * 1.001
    while True:
        load = rate / (capacity / cores)  # offered load, in cores
        waiting = _erlang_c(cores, load)
        if waiting <= 0.01 or math.log(100 * waiting) / (capacity - rate) <= p99_s:
            return capacity
        capacity *= 1.002


def _erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with `servers` and `load` (< servers) in use."""
    last = load**servers / math.factorial(servers) * servers / (servers - load)
    return last / (sum(load**k / math.factorial(k) for k in range(servers)) + last)


# What would meet each scenario's targets, from the in-process profiles (`python -m bench.profile NAME`)
# and the levers measured in the rounds before (bench/RESULTS.md, cardapi/SCC2.md).
LEVERS = {
    "qr_verification": (
        "The app's CPU is the framework's, spread thin: a profile of 4,000 verifications (2026-11-30, "
        "`python -m bench.profile qr_verification 4000`, own time by package) puts werkzeug and Flask at "
        "23 %, psycopg 14 %, marshmallow, webargs and flask-smorest 9 %, redis-py 7 %, the standard "
        "library's JSON, base64 and HMAC 5 %, and the service's own code about 10 %. PostgreSQL's part is "
        "one read, one write statement and a commit, Redis's one script call. What is left to take on 2 "
        "cores is a compiled request path (a second way to write a view, which the issue rules out), or "
        "cores: the CPU per request does not grow with load (capacity model)."
    ),
    "qr_scc2": (
        "SCC2's extra CPU is its cryptography, at OpenSSL's speed: ECDSA verification 73 µs, ECDH 54 µs, "
        "reading the compressed point 25 µs, and the request around them runs on caches the curve code "
        "emptied (cardapi/SCC2.md, Cost). X25519 for the encryption would save 52 µs per code, not enough "
        "(the format stays version 1: cardapi/SCC2.md, Decision); a MAC instead of the signature would, by "
        "giving the service a secret that forges the card's codes, which is what SCC2 removed."
    ),
    "rent_return": (
        "A rent and a return are one prepared statement each that commits alone, plus the rider's session "
        "check (one Redis call) and one JWT decoding; the rest is the framework, as for QR verification, so "
        "the same two ways close the gap: less framework per request, or cores."
    ),
}


def shortfall(results: dict, missed: list[str]) -> list[str]:
    """The report's section for the rows in `missed`: the CPU per unit each target leaves on these cores
    against what this run spent, component by component, and what would close the gap."""
    if not missed:
        return []
    cores = results["setup"]["cpus"]
    lines = ["", "## Targets not met: why, and what would meet them", ""]
    for name in missed:
        s, base = results["scenarios"][name], name.split(" @ ")[0]
        closed = results["scenarios"].get(base, {})
        if not closed.get("cores"):
            lines.append(f"- **{name}** ({TARGETS[name].text}): this run has no CPU split for {base}.")
            continue
        needs = _needs(name, s, closed, results, cores)
        spent = {c: 1000 * closed["cores"].get(c, 0.0) / max(closed["units_per_s"], 1e-9) for c in COMPONENTS}
        split = ", ".join(f"{c} {ms:.2f}" for c, ms in spent.items())
        unit = "pair" if base == "rent_return" else "request"
        lines.append(f"- **{name}** ({TARGETS[name].text}): this run spent {sum(spent.values()):.2f} ms of "
                     f"machine CPU per {unit} ({split}).")  # fmt: skip
        lines += [f"  - {need}" for need in needs]
        if base in LEVERS and not any(other.split(" @ ")[0] == base for other in missed[: missed.index(name)]):
            lines.append(f"  - What would meet it: {LEVERS[base]}")
    return lines


def _needs(name: str, s: dict, closed: dict, results: dict, cores: int) -> list[str]:
    """What each part of the target asks of the CPU per unit on these cores."""
    target, total = TARGETS[name], _total_ms(closed)

    def budget(rate: float, why: str) -> str:
        allowed = 1000 * cores / rate
        gap = total - allowed
        if gap <= 0:
            missed_by = (
                "so the latency came from outside this CPU budget: other processes on the cores, or a pause"
                if s.get("fixed_rate")
                else "so the cores it left idle and the spread between runs missed the rate"
            )
            return (
                f"{why}: {rate:,.0f}/s on {cores} cores leaves {allowed:.2f} ms for everything, and this run's "
                f"{total:.2f} fit it, {missed_by}."
            )
        app = 1000 * closed["cores"].get("app", 0.0) / max(closed["units_per_s"], 1e-9)
        cores_needed = f"{rate * total / 1000:.1f} cores at this run's CPU per unit"
        fix = (
            f"The app at {app - gap:.2f} ms ({100 * gap / app:.0f} % less) would fit, or {cores_needed}."
            if gap < app
            else f"Even an app costing nothing would not fit: only {cores_needed}."
        )
        return (
            f"{why}: {rate:,.0f}/s on {cores} cores leaves {allowed:.2f} ms for everything, {gap:.2f} ms less than "
            f"this run spent. {fix}"
        )

    if target.cpu_over_scc1_ms:
        extra = s.get("cpu_vs_scc1", {}).get("components_median_ms", {})
        split = ", ".join(f"{c} {extra.get(c, 0.0):+.2f}" for c in COMPONENTS)
        return [f"SCC2 cost {s['cpu_vs_scc1_ms']:+.2f} ms over SCC1 (median of the pairs; {split})."]
    if s.get("fixed_rate"):
        needed = capacity_for_p99_wait(s["fixed_rate"], cores, target.p99_ms / 1000)
        return [
            budget(needed, f"served {s['throughput']:,.0f}/s of {s['fixed_rate']:,.0f}/s offered, p99 "
                           f"{s['p99_ms']:,.0f} ms; a queue keeps its p99 wait within {target.p99_ms:g} ms only "
                           f"with at least {needed:,.0f}/s of capacity (M/M/{cores}), and the closed loop "
                           f"found {closed['units_per_s']:,.0f}/s"),
        ]  # fmt: skip
    needs = [budget(target.rate, f"{closed['units_per_s']:,.0f}/s measured")] if target.rate else []
    server, trivial = baseline_trivial(results)
    if target.of_baseline_trivial and trivial:
        wanted = target.of_baseline_trivial * trivial
        needs.append(budget(wanted, f"{target.of_baseline_trivial:g} × trivial under {server} ({trivial:,.0f}/s) "
                                    f"is {wanted:,.0f}/s"))  # fmt: skip
    return needs


def _total_ms(summary: dict) -> float:
    return 1000 * sum(summary["cores"].values()) / max(summary["units_per_s"], 1e-9)
