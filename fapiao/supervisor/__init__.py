"""`fapiao worker --processes N`: N worker processes of one consumer group under one supervisor.

`policy` decides (restarts, backoff, readiness), `metrics` adds the members' Prometheus text up,
`members` starts and signals the processes, and `service` is the thin shell that runs them.
"""

from fapiao.supervisor.members import die_with_parent
from fapiao.supervisor.service import supervise

__all__ = ["supervise", "die_with_parent"]
