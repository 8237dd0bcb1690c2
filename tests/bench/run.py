"""Runs every benchmark once and prints one table (`python -m tests.bench --help`).

Each figure sits beside a baseline measured in the same run (the machine is shared, so
only ratios and medians mean much): the floor for query latency is the bare model call
plus a FAISS search per query, the floor for building is the bare model on the same
chunk texts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from kb.content.articles import iter_article_files
from tests.bench import typeahead
from tests.bench.corpus import edit_one, queries, subset, with_repeats
from tests.bench.writers import DEMO, check_seconds, edit_to_live

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "ms-office-support" / "content"
KB = [sys.executable, "-c", "from kb.cli import app; app()"]


@dataclass
class Row:
    group: str
    metric: str
    value: float
    unit: str
    baseline: float | None = None  # measured in the same run
    target: str = ""

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def _env(args: argparse.Namespace, index: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update(
        KB_INDEX_DIR=str(index),
        KB_BACKEND=args.backend,
        KB_MODEL_CACHE_DIR=str(args.models),
        KB_DATABASE_URL=f"sqlite:///{args.out / 'events.sqlite3'}",
        KB_RELOAD_INTERVAL="0",
        # the load generator is one client asking hundreds of questions a minute: the
        # per-client budgets would turn the measurement into 429s
        KB_RATE_LIMIT_SEARCH="0",
        KB_RATE_LIMIT_FEEDBACK="0",
        KB_RATE_LIMIT_TYPEAHEAD="0",
    )
    env.update(extra)
    return env


def build(args: argparse.Namespace, articles: Path, index: Path) -> dict[str, Any]:
    """`kb index` in a child process: wall time, peak RSS (wait4), the manifest."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*KB, "index", "--articles", str(articles), "--index", str(index), "--quiet"],
        env=_env(args, index),
        stderr=subprocess.PIPE,
        text=True,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    log = proc.stderr.read() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):  # 1: some articles had errors, the rest indexed
        raise RuntimeError(f"kb index failed:\n{log}")
    manifest = json.loads((_version(index) / "manifest.json").read_text(encoding="utf-8"))
    return {
        "wall_s": wall,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "chunks": manifest["chunks"],
        "log": log.strip().splitlines()[-1],
    }


def _version(index: Path) -> Path:
    return index / "versions" / (index / "CURRENT").read_text(encoding="utf-8").strip()


def _chunk_texts(version: Path) -> list[str]:
    from kb.content.chunks import Chunk

    titles = {
        (a["lang"], a["slug"]): a["title"]
        for a in json.loads((version / "articles.json").read_text(encoding="utf-8"))
    }
    return [
        Chunk(**{**c, "path": tuple(c["path"])}).embed_text(titles[(c["lang"], c["slug"])])
        for c in json.loads((version / "chunks.json").read_text(encoding="utf-8"))
    ]


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn workers)."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.is_file():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


@contextmanager
def server(
    args: argparse.Namespace, index: Path, workers: int, **extra: str
) -> Iterator[dict[str, Any]]:
    """uvicorn on the app factory (``extra``: more KB_* settings); yields base URL,
    start-up seconds and RSS."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "uvicorn", "web.app:create_app", "--factory"]
    cmd += ["--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    cmd += ["--http", "web.nodelay:HTTP"]  # as README's several-workers command
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=_env(args, index, **extra), cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.perf_counter() - started > 120:
                raise RuntimeError("server did not start")
            time.sleep(0.05)
        startup = time.perf_counter() - started
        time.sleep(0.5 if workers > 1 else 0)  # the other workers finish loading
        yield {"base": base, "startup_s": startup, "rss_mb": _rss_mb(proc.pid)}
    finally:
        proc.terminate()
        proc.wait(30)


def load(base: str, requests: list[str], clients: int, work: Path) -> dict[str, Any]:
    """The load generator in its own process (its CPU is not the server's)."""
    file = work / "queries.json"
    file.write_text(json.dumps(requests), encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "tests.bench.load", base, str(file), str(clients)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    if result["errors"]:
        raise RuntimeError(f"{result['errors']} failed requests")
    return result


def floor(index: Path, requests: list[str], encode: Any) -> list[float]:
    """The physical floor per query: embed it, search FAISS; nothing else, no cache."""
    import faiss

    dense = faiss.read_index(str(_version(index) / "dense.faiss"))
    times = []
    for query in requests:
        started = time.perf_counter()
        vector = encode([query])
        dense.search(np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1), 10)
        times.append((time.perf_counter() - started) * 1000)
    return times


def dense_scaling(vectors: np.ndarray, queries_vec: np.ndarray, label: str) -> list[Row]:
    """Exact (IndexFlatIP) against HNSW on the same vectors: ms per query, recall@10."""
    from indexer.vectors import dense_index

    flat, _ = dense_index(vectors, hnsw_min=len(vectors) + 1)
    started = time.perf_counter()
    hnsw, _ = dense_index(vectors, hnsw_min=0)
    hnsw_build = time.perf_counter() - started
    timings: dict[str, list[float]] = {"flat": [], "hnsw": []}
    found: dict[str, np.ndarray] = {}
    for name, idx in (("flat", flat), ("hnsw", hnsw)):
        rows = []
        for q in queries_vec:
            started = time.perf_counter()
            _, ids = idx.search(q.reshape(1, -1), 10)
            timings[name].append((time.perf_counter() - started) * 1000)
            rows.append(ids[0])
        found[name] = np.stack(rows)
    recall = np.mean(
        [len(set(a) & set(b)) / 10 for a, b in zip(found["flat"], found["hnsw"], strict=True)]
    )
    flat_ms, hnsw_ms = pct(timings["flat"], 50), pct(timings["hnsw"], 50)
    group = f"scaling {label} ({len(vectors)} vectors)"
    return [
        Row(group, "FAISS exact search p50", flat_ms, "ms"),
        Row(group, "FAISS HNSW search p50 (vs exact)", hnsw_ms, "ms", flat_ms),
        Row(group, "HNSW recall@10 vs exact", float(recall), ""),
        Row(group, "HNSW build", hnsw_build, "s"),
    ]


def search_latency(index: Path, requests: list[str], embedder: Any) -> list[float]:
    """In-process Searcher.search (no HTTP), distinct queries: the cost growth with size."""
    from kb.search.index import SearchIndex
    from kb.search.searcher import Searcher

    searcher = Searcher(SearchIndex.load(index), embedder)
    times = []
    for query in requests:
        started = time.perf_counter()
        searcher.search(query)
        times.append((time.perf_counter() - started) * 1000)
    return times


def typeahead_rows(times: dict[str, list[float]], n: int, where: str) -> list[Row]:
    """p50 and p95 of suggestions per keystroke beside the same run's baseline."""
    g = f"type-ahead {where} ({n} keystrokes)"
    mine = times["typeahead"]
    name, base = next((k, v) for k, v in times.items() if k != "typeahead")
    label = "linear prefix scan" if name == "scan" else "/healthz round trip"
    return [
        Row(g, f"p50 vs {label}", pct(mine, 50), "ms", pct(base, 50), "≤10 ms"),
        Row(g, f"p95 vs {label}", pct(mine, 95), "ms", pct(base, 95)),
    ]


def run(args: argparse.Namespace) -> list[Row]:
    from kb.models.embeddings import load_embedder

    rows: list[Row] = []
    out: Path = args.out
    articles = out / "corpus"
    limit = args.articles or None
    index = out / "index-full"
    # the one-off ONNX export is not part of a build's cost: do it before the clock starts
    embedder = load_embedder(backend=args.backend, cache_dir=args.models)
    torch_model = load_embedder(backend="torch")._model
    if args.fleet_only and (index / "CURRENT").is_file():
        return fleet(args, index)
    if args.reuse_index and (index / "CURRENT").is_file():
        rows += [Row("(builds skipped: --reuse-index)", "index reused from", 0, str(index))]
        version = _version(index)
        return rows + serving(args, index, embedder, torch_model)
    n_articles = subset(args.corpus, articles, 1.0, limit)
    shutil.rmtree(index, ignore_errors=True)
    print(f"full build of {n_articles} articles ({args.backend}) ...", file=sys.stderr)
    full = build(args, articles, index)
    version = _version(index)
    rate = full["chunks"] / full["wall_s"]

    texts = _chunk_texts(version)
    sample = random.Random(3).sample(texts, min(len(texts), args.encode_sample))
    # the two bare baselines take turns on thirds of the sample: a shared machine's load
    # drifts, and alternating keeps the comparison fair
    spent = {"backend": 0.0, "torch": 0.0}
    for part in (sample[0::3], sample[1::3], sample[2::3]):
        started = time.perf_counter()
        embedder.encode(part, batch_size=64)
        spent["backend"] += time.perf_counter() - started
        started = time.perf_counter()
        torch_model.encode(part, batch_size=64, normalize_embeddings=True)
        spent["torch"] += time.perf_counter() - started
    bare_backend, bare_torch = len(sample) / spent["backend"], len(sample) / spent["torch"]
    g = f"full build ({n_articles} articles, {full['chunks']} chunks, {args.backend})"
    rows += [
        Row(
            g,
            "kb index chunks/s vs bare SentenceTransformer.encode",
            rate,
            "chunk/s",
            bare_torch,
            "≥1.0×",
        ),
        Row(g, f"kb index chunks/s vs bare {args.backend} encode", rate, "chunk/s", bare_backend),
        Row(g, "wall time", full["wall_s"], "s"),
        Row(g, "peak memory (RSS)", full["peak_rss_mb"], "MB"),
    ]

    edited = edit_one(articles)
    print(f"incremental build after editing {edited.name} ...", file=sys.stderr)
    incremental = build(args, articles, index)
    rows += [
        Row(
            "incremental (one article edited)",
            "kb index wall time (vs full build)",
            incremental["wall_s"],
            "s",
            full["wall_s"],
            "≤3 s, ≤5%",
        ),
    ]
    rows += serving(args, index, embedder, torch_model)
    if not args.smoke:
        rows += fleet(args, index)
    rows += writing(args, articles, index)
    return rows + scaling(args, articles, index, embedder)


def writing(args: argparse.Namespace, articles: Path, index: Path) -> list[Row]:
    """A writer's waits: a save going live with --reload-content, `kb check` in a hook."""
    print("writers: edit to live, kb check ...", file=sys.stderr)
    env = _env(args, index)
    live = edit_to_live(env, args.out, edits=3 if args.smoke else 8)
    g = "writers (demo help center)"
    cold = args.out / "check-cold-index"
    shutil.rmtree(cold, ignore_errors=True)
    demo_index = args.out / "live-index"
    rows = [
        Row(g, "save -> shown on its page, median", pct(live["page"], 50), "s", target="<1 s"),
        Row(g, "save -> shown on its page, max", max(live["page"]), "s", target="<1 s"),
        Row(g, "save -> found by search, median", pct(live["search"], 50), "s", target="<1 s"),
        Row(g, "save -> found by search, max", max(live["search"]), "s", target="<1 s"),
        Row(
            g, "kb check (warm cache)", check_seconds(env, DEMO, demo_index, 3), "s", target="≤2 s"
        ),
    ]
    n = len(list(iter_article_files(articles)))
    g = f"writers ({n} corpus articles)"
    rows += [
        Row(g, "kb check (warm cache)", check_seconds(env, articles, index), "s", target="≤30 s"),
        Row(
            g, "kb check (cold: no index)", check_seconds(env, articles, cold), "s", target="≤30 s"
        ),
    ]
    return rows


def serving(args: argparse.Namespace, index: Path, embedder: Any, torch_model: Any) -> list[Row]:
    """HTTP latency and throughput against the floor, start-up, memory, index size."""
    rows: list[Row] = []
    out = args.out
    version = _version(index)
    size = sum(f.stat().st_size for f in version.rglob("*") if f.is_file()) / 2**20

    distinct = queries(version, args.queries)
    mixed = with_repeats(distinct, args.requests, args.repeat_share)
    # floors with one thread per call, as the server runs (the best setting on 2 cores)
    import faiss
    import torch

    from kb.models.embeddings import load_embedder

    torch.set_num_threads(1)
    faiss.omp_set_num_threads(1)
    torch_floor = floor(index, mixed, lambda q: torch_model.encode(q, normalize_embeddings=True))
    query_embedder = load_embedder(backend=args.backend, cache_dir=args.models, threads=1)
    backend_floor = floor(index, mixed, query_embedder.encode)
    g = f"query latency over HTTP ({len(mixed)} requests, {args.repeat_share:.0%} repeats)"
    typed = typeahead.keystrokes(distinct, 60 if args.smoke else 2000)
    rows += typeahead_rows(typeahead.in_process(index, typed), len(typed), "in process")
    startups, rss = [], []
    for clients in (1, 8) if not args.smoke else (8,):
        with server(args, index, args.workers) as srv:
            startups.append(srv["startup_s"])
            rss.append(srv["rss_mb"])
            if clients == (8 if args.smoke else 1):
                over_http = typeahead.over_http(srv["base"], typed)
                rows += typeahead_rows(over_http, len(typed), "over HTTP")
            result = load(srv["base"], mixed, clients, out)
        lat = result["latencies_ms"]
        for q, target in ((50, "≤1.5×"), (95, "≤3×"), (99, "")):
            rows.append(
                Row(
                    g,
                    f"p{q}, {clients} client(s) vs bare ST.encode+FAISS",
                    pct(lat, q),
                    "ms",
                    pct(torch_floor, q),
                    target if clients == 1 else "",
                )
            )
        rows.append(
            Row(
                g,
                f"p50, {clients} client(s) vs bare {args.backend}+FAISS",
                pct(lat, 50),
                "ms",
                pct(backend_floor, 50),
            )
        )
        if clients == 8:
            rows.append(
                Row(
                    "throughput (8 clients, separate process)",
                    f"req/s, {args.repeat_share:.0%} repeats",
                    len(mixed) / result["wall_s"],
                    "req/s",
                    None,
                    "≥150",
                )
            )
    if not args.smoke:
        no_repeat = distinct[: args.requests]
        with server(args, index, args.workers) as srv:
            startups.append(srv["startup_s"])
            rss.append(srv["rss_mb"])
            result = load(srv["base"], no_repeat, 8, out)
        rows.append(
            Row(
                "throughput (8 clients, separate process)",
                "req/s, no repeats",
                len(no_repeat) / result["wall_s"],
                "req/s",
            )
        )
    rows += [
        Row(
            "server",
            f"start-up to first /healthz ({args.workers} worker(s), median)",
            float(np.median(startups)),
            "s",
        ),
        Row(
            "server",
            "RSS after loading the index (all workers, median)",
            float(np.median(rss)),
            "MB",
            None,
            "≤1024",
        ),
        Row("server", "index size on disk (one version)", size, "MB"),
    ]

    return rows


def fleet(args: argparse.Namespace, index: Path) -> list[Row]:
    """Two servers sharing Redis: the questions one has answered, asked on the other.

    Server A answers every distinct question once; then server B gets the same questions.
    With the shared cache (KB_REDIS_URL) B finds A's results in Redis instead of running
    the model; the baseline, measured in the same run, is the same two servers without it.
    """
    import secrets

    import redis

    url = os.environ.get("KB_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        return [Row("(fleet skipped)", f"Redis unreachable at {url}: {exc}", 0, "")]
    print("fleet: two servers, with and without the shared cache ...", file=sys.stderr)
    distinct = queries(_version(index), args.queries)
    latencies: dict[bool, list[float]] = {}
    walls: dict[bool, float] = {}
    prefix = f"bench-{secrets.token_hex(4)}"
    for shared in (False, True):  # alternate order would not help: each pair starts cold
        extra: dict[str, str] = {}
        if shared:
            extra |= {"KB_REDIS_URL": url, "KB_REDIS_PREFIX": prefix}
        with server(args, index, 1, **extra) as a, server(args, index, 1, **extra) as b:
            load(a["base"], distinct, 4, args.out)  # A answers (and embeds) each question
            result = load(b["base"], distinct, 4, args.out)  # B gets the same ones
        latencies[shared], walls[shared] = result["latencies_ms"], result["wall_s"]
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"{prefix}:*"):  # the run's entries, not left for a day
        client.delete(key)
    g = f"two servers ({len(distinct)} questions answered on A, then asked on B)"
    return [
        Row(
            g,
            "B p50, shared cache vs none",
            pct(latencies[True], 50),
            "ms",
            pct(latencies[False], 50),
        ),
        Row(
            g,
            "B p95, shared cache vs none",
            pct(latencies[True], 95),
            "ms",
            pct(latencies[False], 95),
        ),
        Row(
            g,
            "B req/s, shared cache vs none",
            len(distinct) / walls[True],
            "req/s",
            len(distinct) / walls[False],
        ),
    ]


def scaling(args: argparse.Namespace, articles: Path, index: Path, embedder: Any) -> list[Row]:
    """Subsets built from scratch; dense search exact vs HNSW up to ×4 (synthetic)."""
    from kb.models.embeddings import load_embedder

    rows: list[Row] = []
    out = args.out
    version = _version(index)
    distinct = queries(version, args.queries)
    query_embedder = load_embedder(backend=args.backend, cache_dir=args.models, threads=1)
    curve: list[tuple[str, Path]] = []
    for fraction in (0.1, 0.5) if not args.smoke else ():
        sub_articles, sub_index = out / f"corpus-{fraction}", out / f"index-{fraction}"
        shutil.rmtree(sub_index, ignore_errors=True)
        n = subset(articles, sub_articles, fraction)
        print(f"scaling: build of {n} articles ...", file=sys.stderr)
        result = build(args, sub_articles, sub_index)
        label = f"{fraction:.0%}"
        rows.append(
            Row(
                f"scaling {label}",
                f"kb index wall ({n} articles, {result['chunks']} chunks)",
                result["wall_s"],
                "s",
            )
        )
        curve.append((label, sub_index))
    curve.append(("100%", index))
    for label, sub_index in curve:
        lat = search_latency(sub_index, distinct, query_embedder)
        rows.append(
            Row(f"scaling {label}", "Searcher.search p50 (in process, no HTTP)", pct(lat, 50), "ms")
        )
    vectors = np.load(version / "vectors.npy")
    query_vectors = embedder.encode(distinct[:200])
    rng = np.random.default_rng(5)
    for label, share in (("10%", 0.1), ("50%", 0.5), ("100%", 1.0)):
        part = vectors[: max(10, int(len(vectors) * share))]
        rows += dense_scaling(part, query_vectors, label)
    # ×4: the real vectors plus three perturbed copies (noise, renormalised) - not re-embedded
    copies = [vectors] + [
        vectors + rng.normal(0, 0.02, vectors.shape).astype(np.float32) for _ in range(3)
    ]
    grown = np.concatenate(copies)
    grown /= np.linalg.norm(grown, axis=1, keepdims=True)
    rows += dense_scaling(np.ascontiguousarray(grown, dtype=np.float32), query_vectors, "×4")
    return rows


def render(rows: list[Row]) -> str:
    lines = ["| group | metric | value | baseline | ratio | target |", "|---|---|---|---|---|---|"]
    for r in rows:
        base = f"{r.baseline:.3g} {r.unit}" if r.baseline else ""
        ratio = f"{r.ratio:.2f}×" if r.ratio else ""
        lines.append(
            f"| {r.group} | {r.metric} | {r.value:.3g} {r.unit} | {base} | {ratio} | {r.target} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench")
    parser.add_argument("--quick", action="store_true", help="30 articles, few queries")
    parser.add_argument(
        "--smoke", action="store_true", help="quicker still: one server run, no subset builds"
    )
    parser.add_argument(
        "--reuse-index",
        action="store_true",
        help="serve the index a previous run built in --out: HTTP figures only, no builds",
    )
    parser.add_argument(
        "--fleet-only",
        action="store_true",
        help="only the two-server shared-cache figures, on the index a previous run built",
    )
    parser.add_argument("--articles", type=int, default=0, help="use only the first N articles")
    parser.add_argument(
        "--models",
        type=Path,
        default=Path(os.environ.get("KB_MODEL_CACHE_DIR", ROOT / "var" / "models")),
        help="where the ONNX export is kept (made once)",
    )
    parser.add_argument("--backend", default=os.environ.get("KB_BACKEND", "onnx"))
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--queries", type=int, default=400, help="distinct queries")
    parser.add_argument("--requests", type=int, default=400, help="requests per load run")
    parser.add_argument("--repeat-share", type=float, default=0.5)
    parser.add_argument(
        "--encode-sample", type=int, default=1500, help="chunk texts for the bare-encode baseline"
    )
    args = parser.parse_args(argv)
    if args.quick or args.smoke:
        args.queries, args.requests, args.encode_sample = 40, 40, 100
        args.articles = args.articles or 30
    if args.smoke:
        args.queries, args.requests, args.encode_sample, args.workers = 16, 16, 16, 1
    args.out, args.models = args.out.resolve(), args.models.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    rows = run(args)
    table = render(rows)
    header = (
        f"{platform.node()} {os.cpu_count()} CPUs, backend {args.backend}, "
        f"{args.workers} worker(s), corpus {args.corpus}, "
        f"{time.perf_counter() - started:.0f} s in all"
    )
    print(header)
    print(table)
    (args.out / "results.md").write_text(header + "\n\n" + table + "\n", encoding="utf-8")
    (args.out / "results.json").write_text(
        json.dumps([{**asdict(r), "ratio": r.ratio} for r in rows], indent=1), encoding="utf-8"
    )
