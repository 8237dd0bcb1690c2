"""Help-center core: articles, chunking, embeddings, lexical index, hybrid search."""

__version__ = "0.1.0"
