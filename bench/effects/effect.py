"""One effect that a written question asks about, and how to see it in a notebook's variables."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Effect:
    question: str  # the grade id of the written answer that asks about it
    claim: str  # what the runs should show, in words
    measure: Callable[[dict], tuple[bool, str]]  # notebook variables -> (seen, the numbers behind it)


def rounded(values, digits: int = 3) -> str:
    return ", ".join(f"{value:.{digits}g}" for value in values)
