"""Load generator, run in its own process: N async clients replay a query list against
``GET /api/search`` and print per-request latencies (ms) and the wall time as JSON."""

from __future__ import annotations

import asyncio
import json
import sys
import time

import httpx


async def _replay(base: str, queries: list[str], clients: int) -> dict[str, object]:
    pending = iter(enumerate(queries))
    latencies = [0.0] * len(queries)
    errors = 0

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal errors
        for i, query in pending:
            started = time.perf_counter()
            response = await http.get("/api/search", params={"q": query})
            latencies[i] = (time.perf_counter() - started) * 1000
            errors += response.status_code != 200

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        wall = time.perf_counter() - started
    return {"latencies_ms": latencies, "wall_s": wall, "errors": errors}


def main() -> None:
    base, queries_file, clients = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(queries_file, encoding="utf-8") as f:
        queries = json.load(f)
    print(json.dumps(asyncio.run(_replay(base, queries, clients))))


if __name__ == "__main__":
    main()
