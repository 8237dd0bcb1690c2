"""`kb calibrate`: answer thresholds chosen from a help center's own labelled questions.

The model's default thresholds were measured on other help centers; one whose score
distribution differs (short machine-translated articles, long troubleshooting pages)
answers too much or too little with them. Its own in-domain and off-topic questions pick
the threshold that answers the wanted share, recorded in that index's manifest.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kb.search.evaluate import Calibration, calibrate, load_golden, load_unanswerable
from kb.search.index import update_manifest
from kb.search.searcher import Searcher


def calibrate_index(
    searcher: Searcher,
    index_dir: Path,
    golden: list[Path],
    offtopic: list[Path],
    *,
    lang: str | None = None,
    keep: float = 0.95,
    split: str = "dev",
) -> list[Calibration]:
    """Per language, the threshold that answers ``keep`` of the in-domain questions,
    written to the manifest in ``index_dir`` (the searcher's) with where it came from."""
    half = None if split == "all" else split
    in_domain = [q for path in golden for q in load_golden(path, half)]
    off = [(q or lang, t) for path in offtopic for q, t in load_unanswerable(path, half)]

    def top_score(text: str, prefer: str | None) -> float:
        return searcher.search(text, prefer=prefer).hits[0].confidence_score

    results = []
    for lg in sorted({q.lang or lang or "" for q in in_domain}):
        ins = [top_score(q.text, q.lang or lang) for q in in_domain if (q.lang or lang or "") == lg]
        outs = [top_score(text, q_lang) for q_lang, text in off if (q_lang or "") == lg]
        results.append(calibrate(ins, outs, lg, keep))
    thresholds = dict(searcher.index.manifest.get("answer_thresholds", {}))
    thresholds.update({c.lang: c.threshold for c in results})
    provenance: dict[str, Any] = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "golden": [str(p) for p in golden],
        "offtopic": [str(p) for p in offtopic],
        "split": split,
        "keep": keep,
        "languages": {c.lang: asdict(c) for c in results},
    }
    update_manifest(index_dir, {"answer_thresholds": thresholds, "calibration": provenance})
    return results
