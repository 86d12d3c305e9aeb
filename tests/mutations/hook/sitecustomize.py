"""Loaded by every Python process that has this folder on PYTHONPATH: breaks the guard FAPIAO_MUTANT names.

The mutation check (`python -m tests.mutations`) puts this folder on PYTHONPATH of the test it runs, so the
pytest process and every worker or sandbox it starts import the broken module. Nothing is loaded without
FAPIAO_MUTANT.
"""

import os
import sys

if os.environ.get("FAPIAO_MUTANT"):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
    from tests.mutations.guards import install

    install(os.environ["FAPIAO_MUTANT"])
