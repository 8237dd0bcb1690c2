"""Builds an index directory from a folder of Markdown articles."""
