"""What writers write: Markdown articles, from file to checked, parsed, chunked sections.

Loading never raises on a broken file: it returns the problem (file, line, message) so a
build keeps the last good version live and `kb check` reports it in the writer's terms.
"""
