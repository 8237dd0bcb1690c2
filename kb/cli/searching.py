"""Search from the terminal: one query, an agent's reply, and search quality."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kb.cli.common import (
    IndexOption,
    JsonOption,
    fail,
    friendly_errors,
    note,
    print_json,
    searcher,
    settings,
)
from kb.settings import Settings

if TYPE_CHECKING:
    from kb.search.evaluate import LabelledQuery
    from kb.search.searcher import Searcher

app = typer.Typer()


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to search for.")],
    lang: Annotated[str | None, typer.Option(help="Language of the articles: hr, en, ...")] = None,
    limit: Annotated[int, typer.Option(help="Number of results.")] = 10,
    as_json: JsonOption = False,
    index_dir: IndexOption = None,
) -> None:
    """Search the index from the command line."""
    from kb.cli.render import print_hits

    with friendly_errors():
        result = searcher(settings(index_dir=index_dir)).search(query, lang, limit)
    if as_json:
        print_json(result.to_dict())
    else:
        print_hits(result)


@app.command("suggest")
def suggest_command(
    lang: Annotated[str | None, typer.Option(help="Reply language; detected if unset.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Output as POST /api/suggest.")] = False,
    markdown: Annotated[bool, typer.Option(help="Print the Markdown replies.")] = False,
    base_url: Annotated[
        str | None, typer.Option(help="Site URL for links [KB_PUBLIC_URL].")
    ] = None,
) -> None:
    """Read a customer's message from stdin; print one reply ready to send, then the
    ready-to-paste answers per section."""
    from kb.assist.suggest import suggest
    from kb.cli.render import print_suggestions

    message = sys.stdin.read()
    if not message.strip():
        fail("paste the customer's message on stdin", 2)
    with friendly_errors():
        config = settings()
        base = base_url or config.public_url or f"http://{config.host}:{config.port}"
        pattern = config.order_number_pattern
        result = suggest(searcher(config), message, lang, base_url=base, order_pattern=pattern)
    if as_json:
        print_json(result.to_dict())
    else:
        print_suggestions(result, markdown)


@app.command("eval")
def eval_command(
    corpus: Annotated[Path | None, typer.Option(help="BEIR corpus.jsonl.")] = None,
    queries: Annotated[Path | None, typer.Option(help="BEIR queries.jsonl.")] = None,
    qrels: Annotated[Path | None, typer.Option(help="BEIR qrels .tsv.")] = None,
    articles: Annotated[
        Path | None, typer.Option(help="Articles folder to evaluate with --golden.")
    ] = None,
    golden: Annotated[
        Path | None,
        typer.Option(help="Golden set: lang<TAB>query<TAB>slugs or article paths, `|`-separated."),
    ] = None,
    unanswerable: Annotated[
        list[Path] | None,
        typer.Option(help="Off-topic or near-miss questions (lang<TAB>query); repeatable."),
    ] = None,
    split: Annotated[
        str, typer.Option(help="Half of the labelled sets: test (report), dev (tune) or all.")
    ] = "test",
    lang: Annotated[str, typer.Option(help="Language of a BEIR corpus.")] = "en",
    index_dir: Annotated[
        Path | None,
        typer.Option("--index", help="Evaluate this already-built index instead of building one."),
    ] = None,
    show_failures: Annotated[bool, typer.Option(help="List queries that missed.")] = False,
    evidence: Annotated[
        Path | None,
        typer.Option(
            help="Append each labelled question's top-hit evidence (JSON lines) "
            "for `kb fit-confidence`."
        ),
    ] = None,
) -> None:
    """Measure search quality: hybrid beside its parts and baselines (lexical, whole-article
    BM25, dense, plain reciprocal-rank fusion), and how well the answered decision holds."""
    from kb.search import evaluate as ev

    beir = (corpus, queries, qrels) if corpus and queries and qrels else None
    if (beir is None) == (golden is None) or (beir is None and any((corpus, queries, qrels))):
        fail("give either --corpus, --queries and --qrels, or --golden (with --articles)", 2)
    if split not in (*ev.SPLITS, "all"):
        fail(f"--split must be one of {', '.join(ev.SPLITS)}, all", 2)
    half = None if split == "all" else split
    with friendly_errors(), tempfile.TemporaryDirectory(prefix="kb-eval-") as tmp:
        config = settings()
        if beir is not None:
            labelled, index, title = _beir(config, beir, lang, half, Path(tmp))
        elif golden is not None:  # checked above: one of the two is given
            labelled, title = ev.load_golden(golden, half), golden.name
            index = index_dir or _scratch(config, articles or config.articles_dir, Path(tmp))
        found = searcher(config.replace(index_dir=index))
        sets = {p.stem: ev.load_unanswerable(p, half) for p in unanswerable or []}
        labelled = ev.resolve_paths(labelled, found.index)
        text = ev.report(
            found, labelled, title, split, strict=beir is not None,
            show_failures=show_failures, unanswerable=sets,
        )  # fmt: skip
        if evidence:
            _append_evidence(evidence, found, title.split(".")[0], labelled, sets)
    typer.echo(text)


def _append_evidence(
    path: Path, found: Searcher, help_center: str, labelled: list[LabelledQuery], sets: dict
) -> None:
    from kb.search.calibration import evidence_rows

    rows = evidence_rows(found, help_center, labelled, sets)
    with path.open("a", encoding="utf-8") as f:
        f.writelines(row.to_json() + "\n" for row in rows)
    note(f"{len(rows)} evidence rows appended to {path}")


@app.command("fit-confidence")
def fit_confidence(
    evidence: Annotated[list[Path], typer.Argument(help="Files written by kb eval --evidence.")],
    keep: Annotated[float, typer.Option(help="Share of in-domain questions to answer.")] = 0.95,
) -> None:
    """Fit the answer model per language (logistic, numpy) on labelled evidence from
    every help center at once; prints what goes into the model's profile
    (kb/search/fusion.py)."""
    from kb.search.calibration import EvidenceRow, fit_answer_model

    rows = [
        EvidenceRow.from_json(line)
        for path in evidence
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    for fitted in fit_answer_model(rows, keep):
        typer.echo(
            f"[{fitted.lang}] {fitted.questions} questions: model={fitted.model!r} "
            f"threshold={fitted.threshold} strong={fitted.strong}"
        )


def _scratch(config: Settings, articles: Path, work: Path) -> Path:
    from indexer.runner import scratch_index

    return scratch_index(config, articles, work, note).index_dir


def _beir(
    config: Settings, beir: tuple[Path, Path, Path], lang: str, half: str | None, work: Path
) -> tuple[list[LabelledQuery], Path, str]:
    """A BEIR set as articles in a scratch index, and its queries of the chosen half."""
    from kb.search import evaluate as ev

    corpus, queries, qrels = beir
    ids = ev.beir_to_articles(corpus, work / "articles", lang)
    labelled = [
        q
        for q in ev.load_beir_queries(queries, qrels, ids, lang)
        if half is None or ev.split_of(q.text) == half
    ]
    return labelled, _scratch(config, work / "articles", work), corpus.parent.name


@app.command()
def calibrate(
    golden: Annotated[
        list[Path], typer.Option(help="In-domain queries: lang<TAB>query<TAB>answers; repeatable.")
    ],
    offtopic: Annotated[
        list[Path] | None,
        typer.Option(help="Off-topic or near-miss queries: lang<TAB>query; repeatable."),
    ] = None,
    lang: Annotated[str | None, typer.Option(help="Language of one-per-line queries.")] = None,
    keep: Annotated[float, typer.Option(help="Share of in-domain queries to answer.")] = 0.95,
    split: Annotated[
        str, typer.Option(help="Half of the labelled sets to calibrate on: dev, test or all.")
    ] = "dev",
    index_dir: IndexOption = None,
) -> None:
    """Choose the answer threshold per language from labelled data; write it to the index."""
    from kb.search.calibration import calibrate_index

    with friendly_errors():
        config = settings(index_dir=index_dir)
        found = searcher(config)
        results = calibrate_index(
            found, config.index_dir, golden, offtopic or [], lang=lang, keep=keep, split=split
        )
    for c in results:
        flagged = (
            "-" if c.flagged_off_topic is None else f"{c.flagged_off_topic:.0%} of {c.off_topic}"
        )
        typer.echo(
            f"[{c.lang}] threshold {c.threshold:.3f}: answers {c.answered_in_domain:.0%} of "
            f"{c.in_domain} in-domain, flags {flagged} off-topic"
        )
    typer.echo(f"written to the manifest of {config.index_dir}; restart or reload the server")
