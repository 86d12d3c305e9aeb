"""The worker: app → topics → table → agents → run, top to bottom."""

from __future__ import annotations

import logging
import logging.config
import os
import threading

import faust
from mode.utils.logging import level_number

from fapiao.connectors.cluster import Cluster
from fapiao.connectors.kafka import create_topics
from fapiao.connectors.registry import providers
from fapiao.logs import logging_config
from fapiao.metrics import process_stopped
from fapiao.settings import SHUTDOWN_DEADLINE_S, Settings
from fapiao.streams import intake, invoices, issuing, reconcile, recovery, store, watchdog, web
from fapiao.streams.pipeline import Pipeline, create_pipeline
from fapiao.streams.topics import all_topics
from fapiao.streams.validation import validate

__all__ = ["build", "run", "SHUTDOWN_DEADLINE_S"]

log = logging.getLogger("fapiao.worker")


def build(settings: Settings, cluster: Cluster) -> Pipeline:
    """The faust app with every agent installed."""
    pipeline = create_pipeline(settings, cluster)
    intake.install(pipeline)
    invoices.install(pipeline, validate)
    issuing.install(pipeline, providers(settings))
    recovery.install(pipeline, cluster)
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


def run(settings: Settings, cluster: Cluster, loglevel: str = "info") -> None:
    """Create the topics if needed, then run the worker until SIGTERM or Ctrl-C (the cluster answers: checked)."""
    create_topics(cluster, all_topics(settings.topic_prefix, settings.app_id), settings.partitions)
    pipeline = build(settings, cluster)
    # Our formatter instead of faust's: FAPIAO_LOG_FORMAT, and secrets masked in every line. Set here too,
    # before faust sets it, so that what the table store finds on disk is logged.
    config = logging_config(settings, level_number(loglevel))
    logging.config.dictConfig(config)
    pipeline.app.conf.datadir.mkdir(parents=True, exist_ok=True)  # faust makes only its last part
    tabledir = pipeline.app.conf.tabledir
    store.open_table_dir(tabledir)
    try:
        _Worker(pipeline.app, loglevel=loglevel, quiet=True, logging_config=config).execute_from_commandline()
    except SystemExit as stopped:
        # faust stopped, and every batch ended only once the broker had its rows: the changelog has every row
        # on disk, unless the producer still holds one
        if not stopped.code and pipeline.sender.close() == 0:
            store.mark_closed(tabledir)
        raise
    finally:
        process_stopped()
