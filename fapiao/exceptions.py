"""The root of every error fapiao-stream raises on purpose."""

from __future__ import annotations


class FapiaoStreamError(Exception):
    """Base of every fapiao-stream error."""


class ConfigurationError(FapiaoStreamError):
    """A setting is missing or wrong."""


class MalformedCallback(FapiaoStreamError):
    """A webhook body that is not a callback of the provider whose route received it."""
