"""`python run_supervisor.py N`: the supervisor of `fapiao worker --processes N` over N fake members, with
short waits (restart after 0.2 s, SIGKILL 2 s after SIGTERM) so that the tests run in seconds."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from fapiao.settings import load
from fapiao.supervisor import supervise
from fapiao.supervisor.policy import Backoff

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(name)s %(message)s")
    supervise(load(), int(sys.argv[1]), [sys.executable, str(Path(__file__).with_name("fake_member.py")), str(os.getpid())],
              backoff=Backoff(first_s=0.2, cap_s=1.0), shutdown_deadline_s=2.0)
