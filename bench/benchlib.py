#!/usr/bin/env python3
"""Helpers of the benchmark scripts (standard library only).

  bodies QUERY_FILE OUT [--names FILE --var NAME]
      Writes GraphQL request bodies, one JSON per line: the query alone, or one body per
      line of FILE with that line as the variable NAME.
  verify URL BODIES SERVER QUERY OUT_JSON
      POSTs every body once; fails loudly on a non-200 status, `errors` in a response or
      empty data. Writes what was found (shape of the data, response size) to OUT_JSON.
  equivalent A_JSON B_JSON
      Fails if two servers' answers to the same benchmark query differ in substance.
  wrk-result WRK_OUTPUT SERVER QUERY [--rss-before KB --rss-after KB]
      Turns wrk's output (the BENCH_JSON line of wrk/graphql.lua) into one JSON line.
  table RESULTS_JSONL [--against SERVER_PREFIX]
      Prints the markdown table of the results, with the ratio to the best
      comparison server on each query.
  import-result SIDE RUN WALL_MS STDOUT_FILE
      One JSON line from an import command's wall time and its JSON output: the
      `timings` object if there is one (keys like read_ms / readingMs, validate_ms,
      plan_ms, apply_ms, total_ms; *_s, *_us are converted), else the wall time only.
  import-table RESULTS_JSONL
      The markdown table of the import benchmark (medians over the runs).
  free-port
      Prints a free TCP port on 127.0.0.1.
"""

import argparse
import json
import re
import socket
import sys
import urllib.error
import urllib.request


def die(message: str) -> None:
    print(f"benchlib: {message}", file=sys.stderr)
    sys.exit(1)


# ---------------------------------------------------------------- bodies


def cmd_bodies(args) -> None:
    with open(args.query, encoding="utf-8") as f:
        query = f.read()
    lines = []
    if args.names:
        with open(args.names, encoding="utf-8") as f:
            for name in (line.strip() for line in f):
                if name and not name.startswith("#"):
                    lines.append({"query": query, "variables": {args.var: name}})
    else:
        lines.append({"query": query})
    with open(args.out, "w", encoding="utf-8") as out:
        for body in lines:
            out.write(json.dumps(body, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- verify


def post(url: str, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url,
        data=body,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def nodes(connection) -> list:
    """The items of a Relay connection (nodes or edges.node) or of a plain list."""
    if connection is None:
        return []
    if isinstance(connection, list):
        return connection
    if "nodes" in connection:
        return connection["nodes"] or []
    return [edge["node"] for edge in connection.get("edges") or []]


def directory_shape(data: dict) -> dict:
    """What a directory answer holds, whatever the server's field names."""
    if "territories" in data:  # Territoires
        territories = data["territories"]
        rows = []
        for t in territories:
            projects = t.get("projects")
            rows.append(
                {
                    "number": t["number"],
                    "communes": sorted(c["inseeCode"] for c in t["communes"]),
                    "postal_codes": sum(len(c.get("postalCodes") or []) for c in t["communes"]),
                    "coordinators": sorted(c["email"] or "" for c in t["coordinators"]),
                    "projects_total": None if projects is None else projects["totalCount"],
                    "projects_page": None if projects is None else len(nodes(projects)),
                    "partner_links": None
                    if projects is None
                    else sum(len(p.get("partners") or []) for p in nodes(projects)),
                }
            )
        return {"territories": rows}
    territories = nodes(data["allTerritories"])  # PostGraphile
    rows = []
    for t in territories:
        communes = nodes(t["communesByTerritoryId"])
        projects = t.get("projectTerritoriesByTerritoryId")
        page = nodes(projects)
        rows.append(
            {
                "number": t["number"],
                "communes": sorted(c["inseeCode"] for c in communes),
                "postal_codes": sum(
                    len(nodes(c.get("communePostalCodesByCommuneId"))) for c in communes
                ),
                "coordinators": sorted(
                    a["coordinatorByCoordinatorId"]["email"] or ""
                    for a in nodes(t["coordinatorAssignmentsByTerritoryId"])
                    if a["coordinatorByCoordinatorId"]["active"]
                ),
                "projects_total": None if projects is None else projects["totalCount"],
                "projects_page": None if projects is None else len(page),
                "partner_links": None
                if projects is None
                else sum(
                    len(nodes(p["projectByProjectId"]["projectPartnersByProjectId"]))
                    for p in page
                ),
            }
        )
    return {"territories": rows}


def lookup_shape(data: dict) -> dict:
    if "commune" in data:  # Territoires
        c = data["commune"]
        if c is None:
            return {"commune": None}
        coordinator = c["territory"].get("coordinator")
        return {
            "commune": c["inseeCode"],
            "territory": c["territory"]["number"],
            "coordinator": coordinator and coordinator["email"],
        }
    found = nodes(data["allCommunes"])  # PostGraphile
    if not found:
        return {"commune": None}
    c = found[0]
    t = c["territoryByTerritoryId"]
    assignments = nodes(t["coordinatorAssignmentsByTerritoryId"])
    return {
        "commune": c["inseeCode"],
        "territory": t["number"],
        "coordinator": assignments[0]["coordinatorByCoordinatorId"]["email"]
        if assignments
        else None,
    }


def is_empty(value) -> bool:
    if value is None:
        return True
    if isinstance(value, dict):
        return all(is_empty(v) for v in value.values())
    if isinstance(value, list):
        return len(value) == 0
    return False


def cmd_verify(args) -> None:
    shapes, sizes = [], []
    with open(args.bodies, encoding="utf-8") as f:
        bodies = [line.rstrip("\n") for line in f if line.strip()]
    for body in bodies:
        status, raw = post(args.url, body.encode())
        where = f"{args.server} {args.query} ({body[:120]}…)"
        if status != 200:
            die(f"{where}: HTTP {status}: {raw[:500]!r}")
        try:
            answer = json.loads(raw)
        except ValueError:
            die(f"{where}: not JSON: {raw[:500]!r}")
        if answer.get("errors"):
            die(f"{where}: the response has errors: {json.dumps(answer['errors'])[:1500]}")
        data = answer.get("data")
        if is_empty(data):
            die(f"{where}: empty data: {raw[:500]!r}")
        try:
            shape = directory_shape(data) if args.query.startswith("directory") else lookup_shape(data)
        except (KeyError, TypeError) as error:
            die(f"{where}: unexpected shape ({error!r}): {raw[:500]!r}")
        if args.query.startswith("lookup") and shape.get("commune") is None:
            die(f"{where}: no commune found")
        shapes.append(shape)
        sizes.append(len(raw))
    result = {
        "server": args.server,
        "query": args.query,
        "requests": len(bodies),
        "response_bytes_mean": round(sum(sizes) / len(sizes)),
        "shapes": shapes,
    }
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(result, out, ensure_ascii=False, indent=1)
    summary = f"{len(bodies)} request(s), {result['response_bytes_mean']} bytes per response"
    if args.query.startswith("directory"):
        t = shapes[0]["territories"]
        summary += (
            f"; {len(t)} territories, {sum(len(x['communes']) for x in t)} communes, "
            f"{sum(len(x['coordinators']) for x in t)} coordinators"
        )
        if t and t[0]["projects_page"] is not None:
            summary += (
                f", {sum(x['projects_page'] for x in t)} projects shown of "
                f"{sum(x['projects_total'] for x in t)}, "
                f"{sum(x['partner_links'] for x in t)} partner links"
            )
    print(f"  ok {args.server} {args.query}: {summary}")


def cmd_equivalent(args) -> None:
    with open(args.a, encoding="utf-8") as f:
        a = json.load(f)
    with open(args.b, encoding="utf-8") as f:
        b = json.load(f)
    problems = []
    if len(a["shapes"]) != len(b["shapes"]):
        problems.append("not the same number of requests")
    for i, (x, y) in enumerate(zip(a["shapes"], b["shapes"])):
        if "territories" in x:
            for tx, ty in zip(x["territories"], y["territories"]):
                for key in ("number", "communes", "postal_codes", "coordinators",
                            "projects_total", "projects_page"):
                    if tx[key] != ty[key]:
                        problems.append(f"territory {tx['number']}: {key} {tx[key]} ≠ {ty[key]}")
            if len(x["territories"]) != len(y["territories"]):
                problems.append("not the same territories")
        elif x != y:
            problems.append(f"request {i + 1}: {x} ≠ {y}")
    if problems:
        die(
            f"{a['server']} and {b['server']} do not answer {a['query']} alike:\n  "
            + "\n  ".join(problems[:20])
        )
    print(f"  ok {a['server']} and {b['server']} return the same {a['query']} data")


# ---------------------------------------------------------------- wrk


def cmd_wrk_result(args) -> None:
    with open(args.output, encoding="utf-8") as f:
        text = f.read()
    line = next((l for l in text.splitlines() if l.startswith("BENCH_JSON ")), None)
    if line is None:
        die(f"no BENCH_JSON line in {args.output}:\n{text}")
    raw = json.loads(line[len("BENCH_JSON "):])
    seconds = raw["duration_us"] / 1e6
    errors = raw["errors"]
    result = {
        "server": args.server,
        "query": args.query,
        "round": args.round,
        "connections": args.connections,
        "duration_s": round(seconds, 2),
        "requests": raw["requests"],
        "rps": round(raw["requests"] / seconds, 1),
        "mb_per_s": round(raw["bytes"] / seconds / 1e6, 2),
        "p50_ms": raw["latency_us"]["p50"] / 1000,
        "p90_ms": raw["latency_us"]["p90"] / 1000,
        "p99_ms": raw["latency_us"]["p99"] / 1000,
        "max_ms": raw["latency_us"]["max"] / 1000,
        "non_2xx": errors["status"],
        "socket_errors": errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
        "errors_detail": errors,
    }
    if args.rss_before is not None:
        result["rss_before_kb"] = args.rss_before
    if args.rss_after is not None:
        result["rss_after_kb"] = args.rss_after
    print(json.dumps(result, ensure_ascii=False))


def fmt_ms(value: float) -> str:
    return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"


def merge_rounds(results: list) -> list:
    """One result per server and query: req/s over all rounds, p50 the median of the
    rounds, p99 and max the worst round, errors summed."""
    merged, order = {}, []
    for r in results:
        key = (r["server"], r["query"])
        if key not in merged:
            merged[key] = []
            order.append(key)
        merged[key].append(r)
    out = []
    for key in order:
        rounds = merged[key]
        if len(rounds) == 1:
            out.append(rounds[0])
            continue
        total = dict(rounds[-1])
        requests = sum(r["requests"] for r in rounds)
        seconds = sum(r["duration_s"] for r in rounds)
        total.update(
            requests=requests,
            duration_s=round(seconds, 2),
            rps=round(requests / seconds, 1),
            p50_ms=median([r["p50_ms"] for r in rounds]),
            p90_ms=max(r["p90_ms"] for r in rounds),
            p99_ms=max(r["p99_ms"] for r in rounds),
            max_ms=max(r["max_ms"] for r in rounds),
            non_2xx=sum(r["non_2xx"] for r in rounds),
            socket_errors=sum(r["socket_errors"] for r in rounds),
            rounds=len(rounds),
            rps_by_round=[r["rps"] for r in rounds],
        )
        out.append(total)
    return out


def rss(kb) -> str:
    return "—" if kb is None else f"{kb / 1024:.0f} MiB"


def cmd_table(args) -> None:
    with open(args.results, encoding="utf-8") as f:
        results = merge_rounds([json.loads(line) for line in f if line.strip()])
    best_other = {}
    for r in results:
        if args.against and r["server"].startswith(args.against):
            best = best_other.get(r["query"])
            if best is None or r["rps"] > best["rps"]:
                best_other[r["query"]] = r
    print("| server | query | req/s | p50 | p99 | errors (non-2xx + socket) | RSS after | vs best PostGraphile |")
    print("|---|---|--:|--:|--:|--:|--:|--:|")
    for r in results:
        ratio = ""
        other = best_other.get(r["query"])
        if other and not r["server"].startswith(args.against):
            ratio = f"**×{r['rps'] / other['rps']:.1f}**"
        print(
            f"| {r['server']} | {r['query']} | {r['rps']:,.0f} | {fmt_ms(r['p50_ms'])} "
            f"| {fmt_ms(r['p99_ms'])} | {r['non_2xx'] + r['socket_errors']} "
            f"| {rss(r.get('rss_after_kb'))} | {ratio} |"
        )


# ---------------------------------------------------------------- import

PHASES = {
    "startup": "startup",
    "read": "read", "reading": "read", "parse": "read",
    "validate": "validate", "validation": "validate", "validating": "validate",
    "normalize": "validate", "normalise": "validate",
    "plan": "plan", "planning": "plan", "diff": "plan",
    "apply": "apply", "applying": "apply", "write": "apply",
    "total": "total",
}


def find_timings(value):
    if isinstance(value, dict):
        if isinstance(value.get("timings"), dict):
            return value["timings"]
        for v in value.values():
            found = find_timings(v)
            if found is not None:
                return found
    return None


def to_ms(key: str, value) -> tuple[str, float] | None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    key = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key).lower()  # readingMs → reading_ms
    for suffix, factor in (("_ms", 1.0), ("_millis", 1.0), ("_us", 1e-3), ("_micros", 1e-3),
                           ("_seconds", 1000.0), ("_secs", 1000.0), ("_s", 1000.0)):
        if key.endswith(suffix):
            return key[: -len(suffix)], value * factor
    return key, float(value)  # no unit: milliseconds


def cmd_import_result(args) -> None:
    with open(args.stdout, encoding="utf-8") as f:
        text = f.read()
    output = None
    try:
        output = json.loads(text)
    except ValueError:
        start, end = text.find("{"), text.rfind("}")
        if start >= 0 and end > start:
            try:
                output = json.loads(text[start : end + 1])
            except ValueError:
                output = None
    phases, extra = {}, {}
    timings = find_timings(output) if output is not None else None
    for key, value in (timings or {}).items():
        converted = to_ms(key, value)
        if converted is None:
            continue
        name, ms = converted
        if name in PHASES:
            phases[PHASES[name]] = phases.get(PHASES[name], 0.0) + ms
        else:
            extra[name] = ms
    print(json.dumps({"side": args.side, "run": args.run, "wall_ms": args.wall_ms,
                      "phases": phases, "extra": extra, "has_timings": timings is not None}))


def median(values):
    values = sorted(values)
    n = len(values)
    if n == 0:
        return None
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def fmt_s(ms) -> str:
    return "—" if ms is None else f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.0f} ms"


def cmd_import_table(args) -> None:
    with open(args.results, encoding="utf-8") as f:
        results = [json.loads(line) for line in f if line.strip()]
    sides = []
    for r in results:
        if r["side"] not in sides:
            sides.append(r["side"])
    rows = {}
    for side in sides:
        runs = [r for r in results if r["side"] == side]
        row = {"runs": len(runs), "wall": median([r["wall_ms"] for r in runs])}
        for phase in ("startup", "read", "validate", "plan", "apply", "total"):
            row[phase] = median([r["phases"][phase] for r in runs if phase in r["phases"]])
        rows[side] = row
    baseline = rows.get(args.baseline)
    print("| import of the roster | runs | read | validate | plan | apply | end to end (wall) | speed-up |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|")
    for side, row in rows.items():
        speedup = ""
        if baseline and side != args.baseline and row["wall"]:
            speedup = f"**×{baseline['wall'] / row['wall']:.1f}**"
        print(f"| {side} | {row['runs']} | {fmt_s(row['read'])} | {fmt_s(row['validate'])} "
              f"| {fmt_s(row['plan'])} | {fmt_s(row['apply'])} | {fmt_s(row['wall'])} | {speedup} |")
    notes = [f"{side}: interpreter start and imports {fmt_s(row['startup'])}"
             for side, row in rows.items() if row["startup"] is not None]
    if notes:
        print()
        print("Medians over the runs. " + "; ".join(notes) + " (inside end to end).")


def cmd_free_port(_args) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("bodies")
    p.add_argument("query")
    p.add_argument("out")
    p.add_argument("--names")
    p.add_argument("--var", default="name")
    p.set_defaults(func=cmd_bodies)

    p = sub.add_parser("verify")
    p.add_argument("url")
    p.add_argument("bodies")
    p.add_argument("server")
    p.add_argument("query")
    p.add_argument("out")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("equivalent")
    p.add_argument("a")
    p.add_argument("b")
    p.set_defaults(func=cmd_equivalent)

    p = sub.add_parser("wrk-result")
    p.add_argument("output")
    p.add_argument("server")
    p.add_argument("query")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--round", type=int, default=1)
    p.add_argument("--rss-before", type=int)
    p.add_argument("--rss-after", type=int)
    p.set_defaults(func=cmd_wrk_result)

    p = sub.add_parser("table")
    p.add_argument("results")
    p.add_argument("--against", default="postgraphile")
    p.set_defaults(func=cmd_table)

    p = sub.add_parser("import-result")
    p.add_argument("side")
    p.add_argument("run", type=int)
    p.add_argument("wall_ms", type=float)
    p.add_argument("stdout")
    p.set_defaults(func=cmd_import_result)

    p = sub.add_parser("import-table")
    p.add_argument("results")
    p.add_argument("--baseline", default="python (pandas + openpyxl + psycopg)")
    p.set_defaults(func=cmd_import_table)

    p = sub.add_parser("free-port")
    p.set_defaults(func=cmd_free_port)

    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
