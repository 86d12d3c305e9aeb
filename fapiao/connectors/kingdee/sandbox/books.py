"""How much of one blue invoice is left to take back: the provider's side of "never more red than blue".

Pure bookkeeping over magnitudes (amounts, tax and quantities as positive numbers, whatever sign a
request used). A blue's lines are what it was issued with; a live 红字确认单 *holds* a share until it
dies (released) or its red invoice is issued (settled); every red invoice issued is kept, one entry each,
so a provider that issued the same red twice (`--dedupe off`) shows it.

    remaining = blue − held − issued            per line, amount, tax and quantity
    over      = issued > blue                   on some line, in amount, tax or quantity

`over` is counted from the issued reds only, whatever was or was not refused on the way: it is the oracle.
A line with no quantity (amount-only) has no quantity to exceed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterable, Mapping

__all__ = ["Share", "Take", "BlueBook"]

ZERO = Decimal(0)


@dataclass(frozen=True)
class Share:
    """Magnitudes of one blue line: what it holds, what is taken back, or what remains."""

    amount: Decimal
    tax: Decimal
    quantity: Decimal | None = None

    def minus(self, other: Share) -> Share:
        quantity = None if self.quantity is None else self.quantity - (other.quantity or ZERO)
        return Share(self.amount - other.amount, self.tax - other.tax, quantity)

    def exceeds(self, limit: Share) -> bool:
        """More amount, tax or quantity than `limit`."""
        over_quantity = (self.quantity is not None and limit.quantity is not None
                         and self.quantity > limit.quantity)
        return self.amount > limit.amount or self.tax > limit.tax or over_quantity


Take = Mapping[int, Share]  # blue line number (from 1) -> what a red takes back of it


def _sum(line: int, takes: Iterable[Take]) -> Share:
    parts = [take[line] for take in takes if line in take]
    quantities = [part.quantity for part in parts if part.quantity is not None]
    return Share(sum((part.amount for part in parts), ZERO), sum((part.tax for part in parts), ZERO),
                 sum(quantities, ZERO) if quantities else None)


@dataclass
class BlueBook:
    """One blue's lines and every share held or issued against them."""

    lines: dict[int, Share]
    held: dict[str, Take] = field(default_factory=dict)  # by form number
    issued: list[Take] = field(default_factory=list)

    def remaining(self) -> dict[int, Share]:
        taken = [*self.held.values(), *self.issued]
        return {line: blue.minus(_sum(line, taken)) for line, blue in self.lines.items()}

    def untouched(self) -> bool:
        return not self.held and not self.issued

    def fits(self, take: Take) -> bool:
        """Whether `take` stays within what remains, on every line it names."""
        remaining = self.remaining()
        return all(line in remaining and not share.exceeds(remaining[line]) for line, share in take.items())

    def hold(self, form: str, take: Take) -> None:
        self.held[form] = take

    def release(self, form: str) -> None:
        self.held.pop(form, None)

    def settle(self, form: str, take: Take) -> None:
        """A red invoice was issued for `take` (under form `form`, whose hold it replaces)."""
        self.held.pop(form, None)
        self.issued.append(take)

    def over(self) -> bool:
        """Issued reds exceed the blue on some line (and hence, if at all, in total)."""
        return any(_sum(line, self.issued).exceeds(blue) for line, blue in self.lines.items())

    def flushed(self) -> bool:
        """Issued reds took back every line's whole amount and tax (invoiceStatus 3)."""
        issued = {line: _sum(line, self.issued) for line in self.lines}
        return all(issued[line].amount >= blue.amount and issued[line].tax >= blue.tax
                   for line, blue in self.lines.items())
