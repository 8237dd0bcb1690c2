"""Help-center core library and the `kb` command.

Subpackages by concern: :mod:`kb.content` (articles), :mod:`kb.search` (index and
search), :mod:`kb.models` (embeddings), :mod:`kb.insights` (events, analytics, gaps),
:mod:`kb.assist` (agent replies). The small shared core sits at the top: settings,
errors, text and language helpers, personal-data scrubbing, rate limits. `kb.cli` is the
composition root and the only part of `kb` that may import `indexer` or `web`
(docs/architecture.md; checked by tests/test_architecture.py).
"""

__version__ = "0.1.0"
