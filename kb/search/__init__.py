"""Finding the answer: the on-disk index, its lexical and dense halves, fusion, typos,
type-ahead, and the evaluation that keeps fusion honest.

The serving entry point is :class:`kb.search.searcher.Searcher`; the index's life on disk
(versions, manifest, publishing to other servers) is :mod:`kb.search.index` and
:mod:`kb.search.distribution`; its life in a server (loading with fallback, following new
versions, swapping) is :mod:`kb.search.live`, and the site's listings over it
:mod:`kb.search.catalogue`.
"""
