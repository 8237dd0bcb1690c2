"""`kb serve`: the index made ready, then the site."""

from __future__ import annotations

import threading
from typing import Annotated

import typer

from kb.cli.common import friendly_errors, note, settings

app = typer.Typer()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on [KB_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Port [KB_PORT].")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes [KB_WORKERS].", min=1, max=64)
    ] = None,
    no_build: Annotated[
        bool, typer.Option("--no-build", help="Serve the existing index, never build.")
    ] = False,
    reload_content: Annotated[
        bool,
        typer.Option("--reload-content", help="Rebuild on article changes; the site swaps in."),
    ] = False,
) -> None:
    """Serve the help center; builds the index first if it is missing or out of date."""
    from indexer.runner import prepare_index, watch_articles
    from web.server import application_for, run, swapper

    with friendly_errors():
        config = settings(host=host, port=port, workers=workers)
        prepare_index(config, build=not no_build)
        application = application_for(config)
    if reload_content:
        swap = swapper(application)
        threading.Thread(
            target=watch_articles, args=(config,), kwargs={"on_publish": swap}, daemon=True
        ).start()
    several = f" with {config.workers} workers" if config.workers > 1 else ""
    note(f"serving the help center on http://{config.host}:{config.port}{several}")
    run(config, application)
