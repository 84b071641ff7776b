"""Figures to a Markdown table (printed and written) and the whole run to JSON beside it."""
from __future__ import annotations

import json
import math
from pathlib import Path


def pct(values: list[float], q: float) -> float | None:
    """The q-th percentile (nearest rank) of values, or None for none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:.1f} ms"


def summary_ms(values: list[float]) -> dict:
    return {"n": len(values), **{k: (None if pct(values, q) is None else round(pct(values, q) * 1000, 2))
                                 for k, q in (("p50", 50), ("p99", 99), ("max", 100))}}


def cpu_line(cpu: dict) -> str:
    """CPU seconds by process group over a phase, and how many cores that is on average."""
    if not cpu:
        return "—"
    wall = cpu["wall"] or 1
    workers = " + ".join(f"{v:.1f}" for v in cpu["per_worker"])
    return (f"{wall:.1f} s wall; CPU s: workers {workers} ({sum(cpu['per_worker']) / wall:.2f} cores), "
            f"postgres {cpu['postgres']:.1f}, redis {cpu['redis']:.1f}, client {cpu['client']:.1f}, "
            f"wrk {cpu['wrk']:.1f}, other processes {cpu['other']:.1f}{top_others(cpu)}; machine busy "
            f"{cpu['machine'] / wall:.2f} of {cpu.get('cores', '?')} cores")


def top_others(cpu: dict) -> str:
    top = cpu.get("other_top") or {}
    return f" ({', '.join(f'{k} {v:.1f}' for k, v in top.items())})" if top else ""


def table(result: dict) -> str:
    m, args, f = result["machine"], result["args"], result["figures"]
    rows = [
        ("machine", f"{m['nproc']} cores, {m['cpu_model']}, {m['ram_gib']} GiB RAM; Linux {m['kernel']}, "
                    f"Python {m['python']}"),
        ("code", result.get("code", "unknown")),
        ("set-up", f"gunicorn -k gevent -w {args['workers']} --worker-connections 10000; PostgreSQL + Redis; "
                   f"{args['shoppers']} shoppers, {args['shakes_per_shopper']} socket shakes each, "
                   f"wrk {args['http_seconds']} s x {args['connections']} connections, "
                   f"socket shakes in flight {args['socket_inflight'] or 'all'}; "
                   f"stock {args['stock']}/round at p={args['win_probability']}, pacing "
                   f"{'on' if args['pacing'] else 'off (stock released)'}"),
        ("connected", f"{f['connected']}/{args['shoppers']} shoppers in {f['connect_seconds']:.1f} s "
                      f"(handshake p50 {f['connect_ms']['p50']} ms, p99 {f['connect_ms']['p99']} ms)"),
    ]
    for label, key in (("fan-out arrived → shake_open", "fanout"), ("fan-out, 2nd arrival (idle)", "fanout2")):
        fan = f.get(key)
        if fan:
            rows.append((label, f"p50 {fan['p50']} ms, p99 {fan['p99']} ms, max {fan['max']} ms; "
                                f"{fan['n']}/{fan['connected']} shoppers got it; the arrival's REST answer took "
                                f"{fan['rest_ms']} ms, first to last shopper {fan['spread_ms']} ms"))
    per = f.get("cpu_ms_per_request", {})
    sock = f.get("socket_shakes")
    if sock:
        rows.append(("shakes over the socket", f"{sock['rate']:.0f} shakes/s ({sock['answered']} acked in "
                                                  f"{sock['seconds']:.2f} s); p50 {sock['p50']} ms, p99 {sock['p99']} ms, "
                                                  f"max {sock['max']} ms; {fmt_counts(sock['outcomes'])}; "
                                                  f"worker CPU {per.get('socket shakes')} ms per shake"))
    paced = f.get("paced_shakes")
    if paced:
        rows.append(("shakes over the socket, sent at a fixed rate",
                     f"{paced['sent']} sent at {paced['rate_asked']:.0f}/s (over {paced['sending_seconds']} s), "
                     f"{paced['answered']} answered in {paced['seconds']} s ({paced['rate']:.0f}/s); p50 {paced['p50']} ms, "
                     f"p99 {paced['p99']} ms, max {paced['max']} ms; {fmt_counts(paced['outcomes'])}; "
                     f"worker CPU {per.get('paced socket shakes')} ms per shake"))
    http, health = f.get("http_shakes"), f.get("healthz")
    if http:
        rows.append(("shakes over HTTP (wrk)", wrk_line(http) + f"; worker CPU {per.get('wrk shakes')} ms per shake"))
    if health:
        rows.append(("trivial endpoint GET /api/v1/healthz",
                     wrk_line(health) + f"; worker CPU {per.get('wrk GET /api/v1/healthz')} ms per request"))
    if http and health:
        rows.append(("shake / trivial throughput", f"{f['ratio']:.2f}"))
    for name, mem in f.get("memory_fresh", {}).items():
        rows.append((f"memory, worker {name}, 2 s after connecting", mem))
    for name, mem in f.get("memory", {}).items():
        rows.append((f"memory, worker {name}, idle ({args['idle_seconds']:.0f} s more)", mem))
    if f.get("memory_end") and f.get("memory_after_connect"):
        rows.append(("worker RSS after all phases", ", ".join(
            f"{pid}: {end['rss_kib'] / 1024:.1f} MiB ({(end['rss_kib'] - f['memory_after_connect'][pid]['rss_kib']) / 1024:+.1f}"
            f" since connected)" for pid, end in f["memory_end"].items()
            if end.get("rss_kib") and pid in f["memory_after_connect"])))
    for phase, cpu in f.get("cpu", {}).items():
        rows.append((f"CPU, {phase}", cpu_line(cpu)))
    for phase, lag in f.get("client_lag", {}).items():
        rows.append((f"client loop lag, {phase}", f"p99 {lag['p99']} ms, max {lag['max']} ms"))
    for phase, w in f.get("db_waits", {}).items():
        if w:
            top = w["blocked_statements"][0]["statement"] if w["blocked_statements"] else "none"
            rows.append((f"PostgreSQL, {phase}", f"backends max {w['backends_max']}; waiting on a lock: max "
                                                  f"{w['lock_waiters_max']}, mean {w['lock_waiters_mean']}; idle in "
                                                  f"transaction mean {w['idle_in_transaction_mean']}; most blocked: "
                                                  f"`{top}`"))
    for label, c in f.get("correctness", {}).items():
        rows.append((f"correctness, {label} round", (
            f"awarded {c['awarded']}/{c['stock']} (winning shakes {c['winning_shakes']}, coupons "
            f"{c['coupons_given']}), over-award {c['over_award']}, counters agree {c['counters_agree']}; "
            f"max shakes/shopper {c['max_shakes_per_shopper']}/{c['shakes_limit']}, "
            f"max wins/shopper {c['max_wins_per_shopper']}/{c['wins_limit']}")))
    if "subscribe_messages_sent" in f:
        rows.append(("subscribe messages the WeChat sandbox received", f["subscribe_messages_sent"]))
    if "sender_process_cpu_seconds" in f:
        rows.append(("CPU seconds of the message sender process (`--sender-process`)", f["sender_process_cpu_seconds"]))
    rows.append(("errors", f["errors_line"]))
    lines = ["| figure | value |", "|---|---|"]
    lines += [f"| {k} | {str(v).replace('|', '/')} |" for k, v in rows]
    return "\n".join(lines)


def wrk_line(run: dict) -> str:
    lat = run["latency_ms"]
    return (f"{run['rps']:.0f} req/s ({run['requests']} in {run['seconds']} s); p50 {lat['p50']} ms, "
            f"p99 {lat['p99']} ms, max {lat['max']} ms; statuses {fmt_counts(run['statuses'])}; "
            f"socket errors {fmt_counts({k: v for k, v in run['errors'].items() if v}) or 'none'}")


def fmt_counts(counts: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: str(kv[0]))) or "none"


def write(result: dict, out: Path) -> str:
    """Write the Markdown (title, table, targets, notes) and the JSON; return the Markdown."""
    out.parent.mkdir(parents=True, exist_ok=True)
    markdown = "\n".join([
        f"# Shake benchmark, {result['started']}", "",
        f"`{result['command']}`", "",
        table(result), "",
        "## Against the targets", "",
        *[f"- {line}" for line in result["targets"]], "",
        "## Load generator check", "",
        *[f"- {line}" for line in result["generator_check"]], "",
        *(["## Problems seen", "", *[f"- {line}" for line in result["problems"]], ""] if result["problems"] else []),
    ])
    out.write_text(markdown, encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str),
                                        encoding="utf-8")
    return markdown
