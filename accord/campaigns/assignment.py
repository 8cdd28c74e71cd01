"""Which variant of a communication a recipient gets: a pure, deterministic, weighted split.

The recipient's place in [0, 1) is a SHA-256 hash of the communication id and the lead id, so the
same person always gets the same variant of the same communication (a resend, a retry, a second
batch), different communications split people independently, and nobody can pick their variant.
Places are uniform, so each variant receives its weight's share of the recipients up to binomial
noise (for 10,000 recipients split evenly, within about one percentage point of 50%).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

SCALE = 2**64


def recipient_place(*, communication_id: int, lead_id: int) -> float:
    """A number in [0, 1) fixed for this communication and lead."""
    digest = hashlib.sha256(f"accord-variant:{communication_id}:{lead_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / SCALE


def variant_for(*, communication_id: int, lead_id: int, weights: Sequence[tuple[str, int]]) -> str:
    """The key of the variant this lead gets: the one whose slice of [0, 1) holds the lead's place.

    ``weights`` are (key, weight) pairs in a fixed order (A, B, ...); weights are positive integers.
    """
    if not weights or any(weight <= 0 for _, weight in weights):
        raise ValueError("at least one variant, every weight positive")
    total = sum(weight for _, weight in weights)
    point = recipient_place(communication_id=communication_id, lead_id=lead_id) * total
    running = 0
    for key, weight in weights:
        running += weight
        if point < running:
            return key
    return weights[-1][0]  # unreachable with exact integer arithmetic; kept for float safety
