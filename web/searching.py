"""Search, time it, log it: the one way a route searches.

Every search a visitor, a script or an agent makes is counted in the metrics and written
to the event store with its latency, so the dashboard, the gap report and the popular
questions see them all alike; the search id it returns links the visitor's clicks and
votes to it. Logging never breaks a search (the store queues writes).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from kb.assist.suggest import SuggestResult, suggest
from kb.insights.events import new_id
from kb.search.searcher import SearchResult
from web.state import AppState


@dataclass(frozen=True)
class Searches:
    """The searches of one request: its state and the visitor's session."""

    state: AppState
    session_id: str

    def search(
        self,
        source: str,
        query: str,
        lang: str | None = None,
        limit: int = 10,
        *,
        prefer: str | None = None,
        correct: bool = True,
    ) -> tuple[SearchResult, str]:
        """The result and the id it was logged under; ``source`` is page, api or contact.
        A query the library refuses raises ``QueryError`` and is not logged."""
        started = time.perf_counter()
        result = self.state.searcher.search(query, lang, limit, prefer=prefer, correct=correct)
        latency = (time.perf_counter() - started) * 1000
        return result, self.log(result, source, latency)

    def suggest(self, message: str, lang: str | None, base_url: str) -> SuggestResult:
        """Answers to a pasted customer message; one agent event with a search per unit."""
        started = time.perf_counter()
        result = suggest(
            self.state.searcher,
            message,
            lang,
            base_url=base_url,
            order_pattern=self.state.settings.order_number_pattern,
        )
        latency = (time.perf_counter() - started) * 1000
        self.log_agent_message(result, latency)
        return result

    def log(
        self,
        result: SearchResult,
        source: str,
        latency_ms: float,
        *,
        message_id: str | None = None,
        unit: str | None = None,
    ) -> str:
        """Record a search (never raises: logging must not break searching)."""
        # the asked language, also when only another language's article answered
        asked = result.fallback_from or result.lang
        top = result.hits[0] if result.hits else None
        self.state.metrics.observe_search(source, asked, result.answered)
        return self.state.events.record_search(
            session_id=self.session_id,
            query=result.query,
            lang=asked or (top.lang if top else None),
            hit_lang=top.lang if top else None,
            results=len(result.hits),
            best_score=top.confidence_score if top else None,
            answered=result.answered,
            slugs=[h.slug for h in result.hits],
            latency_ms=latency_ms,
            source=source,
            message_id=message_id,
            unit=unit,
        )

    def log_agent_message(self, result: SuggestResult, latency_ms: float) -> str:
        """One pasted message is one agent event; its units are searches that point to it,
        marked as questions or context, never a session of reformulations."""
        message_id = new_id()
        per_unit = latency_ms / max(1, len(result.units))
        for unit in result.units:
            kind = "question" if unit.asks else "context"
            unit.search_id = self.log(
                unit.result, "agent", per_unit, message_id=message_id, unit=kind
            )
        asking = [u for u in result.units if u.asks]
        self.state.events.record_agent_message(
            session_id=self.session_id,
            lang=result.lang,
            questions=len(asking),
            answered=sum(u.answered for u in asking),
            units=len(result.units),
            latency_ms=latency_ms,
            message_id=message_id,
        )
        result.message_id = message_id
        ids = {u.text: u.search_id for u in result.units}
        for suggestion in result.suggestions:
            suggestion.search_id = ids.get(suggestion.question)
        return message_id
