"""`python -m tests.mutations`: break each guard of a guarantee in turn and run the test that must catch it.

For every guard in `tests/mutations/guards.py`: run its test unbroken (it must pass), then with the guard
broken in every process the test starts (it must fail), and print one line per guard and a Markdown table
(guard, test, failed when broken). Run it from the repository root with the project's virtualenv:

    .venv/bin/python -m tests.mutations                 # every guard
    .venv/bin/python -m tests.mutations adopt-without-totals --no-baseline

Exit status 0 only when every guard's test passed unbroken and failed broken. The tests' stacks run their
sandboxes with `--dedupe off` (tests/sandbox_options.py): a provider that would issue a serial twice, so the
"issued twice" oracle can fail.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.mutations.guards import ENV, GUARDS, ROOT, Guard, applies

HOOK = Path(__file__).resolve().parent / "hook"
RUN_TIMEOUT_S = 20 * 60


def run_tests(guard: Guard, broken: bool) -> tuple[int, float]:
    """Run the guard's tests, broken or not; return pytest's exit code and the seconds it took."""
    env = {key: value for key, value in os.environ.items() if key != ENV}
    if broken:
        env[ENV] = guard.name
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HOOK), env.get("PYTHONPATH")]))
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *guard.tests],
                          cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          timeout=RUN_TIMEOUT_S)
    return done.returncode, time.monotonic() - started


def verdict(guard: Guard, baseline: int | None, broken: int | None) -> str:
    if broken is None:
        return "not applied: the guarded text is not in the module exactly once"
    if baseline not in (None, 0):
        return f"no verdict: the test fails unbroken too (pytest exit {baseline})"
    return "yes" if broken == 1 else "no" if broken == 0 else f"error (pytest exit {broken})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutations", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("guards", nargs="*", help=f"guards to break (default: all): {', '.join(g.name for g in GUARDS)}")
    parser.add_argument("--no-baseline", action="store_true", help="skip running each test unbroken first")
    args = parser.parse_args(argv)
    chosen = [g for g in GUARDS if not args.guards or g.name in args.guards]
    unknown = set(args.guards) - {g.name for g in GUARDS}
    if unknown:
        parser.error(f"unknown guards: {sorted(unknown)}; known: {[g.name for g in GUARDS]}")
    rows = []
    for guard in chosen:
        baseline = broken = None
        if applies(guard):
            if not args.no_baseline:
                baseline, seconds = run_tests(guard, broken=False)
                print(f"{guard.name}: unbroken, pytest exit {baseline} ({seconds:.0f} s)", flush=True)
            broken, seconds = run_tests(guard, broken=True)
            print(f"{guard.name}: broken, pytest exit {broken} ({seconds:.0f} s)", flush=True)
        rows.append((guard, verdict(guard, baseline, broken)))
    print("\n| guard | test | oracle | failed when broken |\n|---|---|---|---|")
    for guard, said in rows:
        print(f"| `{guard.name}`: {guard.what} | {', '.join(f'`{t}`' for t in guard.tests)} | {guard.oracle} | {said} |")
    return 0 if all(said.startswith("yes") for _, said in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
