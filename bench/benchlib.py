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
  free-port
      Prints a free TCP port on 127.0.0.1.
"""

import argparse
import json
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
        result["rss_after_kb"] = args.rss_after
    print(json.dumps(result, ensure_ascii=False))


def fmt_ms(value: float) -> str:
    return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"


def cmd_table(args) -> None:
    with open(args.results, encoding="utf-8") as f:
        results = [json.loads(line) for line in f if line.strip()]
    best_other = {}
    for r in results:
        if args.against and r["server"].startswith(args.against):
            best = best_other.get(r["query"])
            if best is None or r["rps"] > best["rps"]:
                best_other[r["query"]] = r
    print("| server | query | req/s | p50 | p99 | errors (non-2xx + socket) | vs best PostGraphile |")
    print("|---|---|--:|--:|--:|--:|--:|")
    for r in results:
        ratio = ""
        other = best_other.get(r["query"])
        if other and not r["server"].startswith(args.against):
            ratio = f"**×{r['rps'] / other['rps']:.1f}**"
        print(
            f"| {r['server']} | {r['query']} | {r['rps']:,.0f} | {fmt_ms(r['p50_ms'])} "
            f"| {fmt_ms(r['p99_ms'])} | {r['non_2xx'] + r['socket_errors']} | {ratio} |"
        )


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
    p.add_argument("--rss-before", type=int)
    p.add_argument("--rss-after", type=int)
    p.set_defaults(func=cmd_wrk_result)

    p = sub.add_parser("table")
    p.add_argument("results")
    p.add_argument("--against", default="postgraphile")
    p.set_defaults(func=cmd_table)

    p = sub.add_parser("free-port")
    p.set_defaults(func=cmd_free_port)

    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
