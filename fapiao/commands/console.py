"""`fapiao console`: the operator's web console over the topics (read-only, behind a token)."""

from __future__ import annotations

import asyncio
from typing import AsyncIterator

import click
from aiohttp import web

from fapiao.commands._common import cluster_or_exit, configure_logging, settings_or_exit


@click.command("console")
@click.option("--host", default=None, help="listen address [FAPIAO_CONSOLE_HOST]")
@click.option("--port", default=None, type=int, help="listen port, 0 for any free one [FAPIAO_CONSOLE_PORT]")
def command(host: str | None, port: int | None) -> None:
    """Serve the console: search, a serial's page, the overview. Needs FAPIAO_CONSOLE_TOKEN."""
    from fapiao.console import SERVER_OPTIONS, Feed, Index, create_app
    from fapiao.console.auth import token_refusal
    from fapiao.schemas.registry import codec_for

    settings = settings_or_exit()
    token = settings.console_token or ""
    if refusal := token_refusal(token):
        raise click.ClickException(refusal)
    configure_logging(settings)
    index = Index()
    feed = Feed(cluster_or_exit(settings), settings.topic_prefix, codec_for(settings.schema_registry_url), index)
    app = create_app(index, token, feed.describe, secure_cookie=settings.console_secure_cookie)

    async def reading(_: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(feed.run())
        yield
        await feed.stop()
        await task

    app.cleanup_ctx.append(reading)
    web.run_app(app, host=host or settings.console_host, port=settings.console_port if port is None else port,
                print=lambda text: click.echo(text.splitlines()[0], err=True), **SERVER_OPTIONS)
