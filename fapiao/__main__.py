"""`python -m fapiao` is the `fapiao` console script."""

from fapiao.cli import main

main()
