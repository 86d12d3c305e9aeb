"""`fapiao gateway`: the provider callback gateway (webhooks in, `fapiao.callbacks` and `fapiao.signals` out)."""

from __future__ import annotations

import click
from aiohttp import web

from fapiao.commands._common import cluster_or_exit, configure_logging, settings_or_exit
from fapiao.exceptions import ConfigurationError


@click.command("gateway")
@click.option("--host", default=None, help="listen address [FAPIAO_GATEWAY_HOST]")
@click.option("--port", default=None, type=int, help="listen port [FAPIAO_GATEWAY_PORT]")
def command(host: str | None, port: int | None) -> None:
    """Receive provider webhooks; reply only after the broker has them."""
    from fapiao.connectors.gateway import SERVER_OPTIONS, AsyncProducer, GatewayConfig, create_app
    from fapiao.connectors.registry import callback_parsers
    from fapiao.schemas.registry import codec_for
    from fapiao.streams.topics import topic_name

    settings = settings_or_exit()
    try:
        config = GatewayConfig.from_settings(settings, topic_name(settings.topic_prefix, "callbacks"),
                                             topic_name(settings.topic_prefix, "signals"))
    except ConfigurationError as exc:
        raise click.ClickException(f"configuration: {exc}") from exc
    configure_logging(settings)
    producer = AsyncProducer(cluster_or_exit(settings), config.ack_deadline_s)
    app = create_app(callback_parsers(settings), producer, codec_for(settings.schema_registry_url), config)

    async def close(_: web.Application) -> None:
        producer.close()

    app.on_cleanup.append(close)
    web.run_app(app, host=host or settings.gateway_host, port=port or settings.gateway_port,
                print=lambda text: click.echo(text.splitlines()[0], err=True), **SERVER_OPTIONS)
