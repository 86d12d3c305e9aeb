"""The worker: app → topics → table → agents → run, top to bottom."""

from __future__ import annotations

import logging
import os
import threading

import faust
from mode.utils.logging import level_number

from fapiao.connectors.kafka import create_topics, wait_for_broker
from fapiao.connectors.registry import callback_parsers, providers
from fapiao.connectors.security import security_config
from fapiao.logs import logging_config
from fapiao.settings import SHUTDOWN_DEADLINE_S, Settings
from fapiao.streams import callbacks, intake, invoices, issuing, reconcile, recovery, watchdog, web
from fapiao.streams.pipeline import Pipeline, create_pipeline
from fapiao.streams.topics import all_topics
from fapiao.streams.validation import validate

__all__ = ["build", "run", "SHUTDOWN_DEADLINE_S"]

log = logging.getLogger("fapiao.worker")


def build(settings: Settings, bootstrap: str) -> Pipeline:
    """The faust app with every agent installed."""
    pipeline = create_pipeline(settings, bootstrap)
    intake.install(pipeline)
    invoices.install(pipeline, validate)
    issuing.install(pipeline, providers(settings))
    callbacks.install(pipeline, callback_parsers(settings))
    recovery.install(pipeline, bootstrap)
    reconcile.install(pipeline)
    watchdog.install(pipeline)
    web.install(pipeline)
    return pipeline


class _Worker(faust.Worker):
    """faust's worker with a hard deadline on shutdown: faust can hang stopping after SIGTERM."""

    def _on_sigterm(self) -> None:
        self._arm_deadline()
        super()._on_sigterm()

    def _on_sigint(self) -> None:
        self._arm_deadline()
        super()._on_sigint()

    def _arm_deadline(self) -> None:
        def expire() -> None:
            log.error("shutdown took longer than %.0fs; exiting (uncommitted work is read again)",
                      SHUTDOWN_DEADLINE_S)
            os._exit(3)

        timer = threading.Timer(SHUTDOWN_DEADLINE_S, expire)
        timer.daemon = True
        timer.start()


def run(settings: Settings, bootstrap: str, loglevel: str = "info") -> None:
    """Create the topics if needed, then run the worker until SIGTERM or Ctrl-C."""
    security = security_config(settings)
    wait_for_broker(bootstrap, security=security)
    create_topics(bootstrap, all_topics(settings.topic_prefix, settings.app_id), settings.partitions, security)
    pipeline = build(settings, bootstrap)
    # Our formatter instead of faust's: FAPIAO_LOG_FORMAT, and secrets masked in every line.
    config = logging_config(settings, level_number(loglevel))
    _Worker(pipeline.app, loglevel=loglevel, quiet=True, logging_config=config).execute_from_commandline()
