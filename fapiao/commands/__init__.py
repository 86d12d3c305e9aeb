"""One module per `fapiao` subcommand; each defines `command`, a click command or group.

The CLI discovers them, so adding a subcommand is adding a module here.
"""
