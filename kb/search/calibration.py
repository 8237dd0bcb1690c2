"""`kb calibrate`: answer thresholds chosen from a help center's own labelled questions.

The model's default thresholds were measured on other help centers; one whose score
distribution differs (short machine-translated articles, long troubleshooting pages)
answers too much or too little with them. Its own in-domain and off-topic questions pick
the threshold that answers the wanted share, recorded in that index's manifest.

The answer model itself (:class:`kb.search.fusion.AnswerModel`) is fitted here too, by
`kb fit-confidence`, from every help center's labelled evidence at once
(`kb eval --evidence`): its coefficients go into the model's profile.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from kb.search.evaluate import LabelledQuery, load_golden, load_unanswerable
from kb.search.fusion import FEATURES, AnswerModel, Evidence
from kb.search.index import update_manifest
from kb.search.searcher import Searcher


@dataclass(frozen=True)
class Calibration:
    lang: str
    threshold: float
    answered_in_domain: float
    flagged_off_topic: float | None
    in_domain: int
    off_topic: int


def calibrate(
    in_domain: list[float], off_topic: list[float], lang: str, keep: float = 0.95
) -> Calibration:
    """The highest threshold that still answers ``keep`` of the in-domain queries."""
    scores = np.sort(np.asarray(in_domain, dtype=np.float64))
    cut = math.floor((1 - keep) * len(scores) + 1e-9)
    threshold = float(scores[cut]) if len(scores) else 0.5
    threshold = math.floor(threshold * 1000) / 1000  # inclusive of the query at the cut
    off = np.asarray(off_topic, dtype=np.float64)
    return Calibration(
        lang=lang,
        threshold=threshold,
        answered_in_domain=float((scores >= threshold).mean()) if len(scores) else 0.0,
        flagged_off_topic=float((off < threshold).mean()) if len(off) else None,
        in_domain=len(scores),
        off_topic=len(off),
    )


@dataclass(frozen=True)
class EvidenceRow:
    """A labelled question's top hit, as the answer model sees it."""

    help_center: str
    lang: str
    kind: str  # "in" for an in-domain question, else the name of its unanswerable set
    query: str
    evidence: Evidence

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> EvidenceRow:
        data = json.loads(line)
        return cls(**{**data, "evidence": Evidence(**data["evidence"])})


def evidence_rows(
    searcher: Searcher,
    help_center: str,
    in_domain: list[LabelledQuery],
    unanswerable: dict[str, list[tuple[str | None, str]]],
) -> list[EvidenceRow]:
    """The top hit's evidence for every labelled question, searched as a visitor would
    (what :func:`fit_answer_model` learns from)."""
    asked = [(q.lang, q.text, "in") for q in in_domain]
    langs = {q.lang for q in in_domain}  # unanswerable ones only in these, as decisions()
    asked += [
        (lang, text, name)
        for name, items in unanswerable.items()
        for lang, text in items
        if lang in langs or lang is None
    ]
    rows = []
    for lang, text, kind in asked:
        hits = searcher.search(text, prefer=lang).hits
        if hits and hits[0].evidence is not None:  # None: another language's, by meaning
            rows.append(EvidenceRow(help_center, lang or "", kind, text, hits[0].evidence))
    return rows


# the sign each feature's weight must have: more evidence never lowers the probability
SIGNS = {"cosine": 1, "lexical": 1, "heading": 1, "unknown": -1, "margin": 1}


@dataclass(frozen=True)
class FittedModel:
    lang: str
    model: AnswerModel
    threshold: float  # answers `keep` of the in-domain questions of each help center
    strong: float  # above every unanswerable question's probability
    questions: int


def _logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float) -> np.ndarray:
    """Weighted, L2-regularised logistic regression (Newton's method on standardised
    features); returns bias and weights on the original scale."""
    mu, sd = x.mean(0), x.std(0) + 1e-9
    z = np.hstack([np.ones((len(x), 1)), (x - mu) / sd])
    ridge = l2 * np.diag(np.r_[0.0, np.ones(x.shape[1])])
    b = np.zeros(z.shape[1])
    for _ in range(100):
        p = 1 / (1 + np.exp(-z @ b))
        hessian = (z * (w * p * (1 - p))[:, None]).T @ z + ridge
        step = np.linalg.solve(hessian, z.T @ (w * (p - y)) + ridge @ b)
        b -= step
        if np.abs(step).max() < 1e-10:
            break
    coef = b[1:] / sd
    return np.r_[b[0] - coef @ mu, coef]


def _balanced(rows: list[EvidenceRow]) -> np.ndarray:
    """Sample weights: positives and negatives weigh the same in total, so does each help
    center within them, and each unanswerable set within a help center's negatives."""
    groups: dict[tuple[str, bool], list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        groups[(r.help_center, r.kind == "in")].append(i)
    w = np.zeros(len(rows))
    for (_, positive), members in groups.items():
        side = sum(1 for _, p in groups if p == positive)
        kinds = defaultdict(list)
        for i in members:
            kinds[rows[i].kind].append(i)
        for same in kinds.values():
            w[same] = 1.0 / side / len(kinds) / len(same)
    return w * len(rows) / w.sum()


def fit_answer_model(
    rows: list[EvidenceRow], keep: float = 0.95, l2: float = 1.0
) -> list[FittedModel]:
    """Per language, the probability that the top hit answers the question: in-domain
    questions are the positives, off-topic and near-miss ones the negatives. A feature
    whose weight comes out with the wrong sign is dropped and the model refitted. The
    threshold answers ``keep`` of each help center's in-domain questions; "strong" starts
    above every unanswerable question."""
    out = []
    for lang in sorted({r.lang for r in rows}):
        mine = [r for r in rows if r.lang == lang]
        x = np.array([[getattr(r.evidence, f) for f in FEATURES] for r in mine], dtype=np.float64)
        y = np.array([r.kind == "in" for r in mine], dtype=np.float64)
        w = _balanced(mine)
        used = list(range(len(FEATURES)))
        while True:
            b = _logistic(x[:, used], y, w, l2)
            wrong = [f for f, c in zip(used, b[1:], strict=True) if c * SIGNS[FEATURES[f]] < 0]
            if not wrong:
                break
            used.remove(wrong[0])
        weights = [0.0] * len(FEATURES)
        for f, c in zip(used, b[1:], strict=True):
            weights[f] = round(float(c), 3)
        model = AnswerModel(round(float(b[0]), 3), tuple(weights))
        p = [model.probability(r.evidence) for r in mine]
        centers = sorted({r.help_center for r in mine if r.kind == "in"})
        threshold = min(
            calibrate(
                [
                    pi
                    for pi, r in zip(p, mine, strict=True)
                    if r.kind == "in" and r.help_center == hc
                ],
                [],
                lang,
                keep,
            ).threshold
            for hc in centers
        )
        negatives = [pi for pi, r in zip(p, mine, strict=True) if r.kind != "in"]
        strong = math.ceil(max(negatives, default=1.0) * 1000) / 1000 + 0.001
        out.append(FittedModel(lang, model, threshold, round(max(strong, threshold), 3), len(mine)))
    return out


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
    # languages not calibrated now keep the defaults or a current calibration
    profile = searcher.profile
    thresholds = {**profile.thresholds, **profile.current_calibration(searcher.index.manifest)}
    thresholds.update({c.lang: c.threshold for c in results})
    provenance: dict[str, Any] = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "golden": [str(p) for p in golden],
        "offtopic": [str(p) for p in offtopic],
        "split": split,
        "keep": keep,
        "confidence": profile.confidence_version,
        "languages": {c.lang: asdict(c) for c in results},
    }
    update_manifest(index_dir, {"answer_thresholds": thresholds, "calibration": provenance})
    return results
