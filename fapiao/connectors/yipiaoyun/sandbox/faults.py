"""Fault injection: one seedable die; every roll that fires is counted under its fault's name."""

from __future__ import annotations

import random
from collections import Counter

__all__ = ["Dice"]


class Dice:
    def __init__(self, seed: int | None, fired: Counter[str]) -> None:
        self._rng = random.Random(seed)
        self._fired = fired

    def roll(self, fault: str, rate: float) -> bool:
        """True (and `fault` counted) with probability `rate`; a rate of 0 never rolls."""
        if rate <= 0 or self._rng.random() >= rate:
            return False
        self._fired[fault] += 1
        return True
