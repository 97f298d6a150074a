"""A deterministic random generator whose algorithm we own and document.

Why not ``random.Random(seed)``: Python only promises that ``random.random()``
reproduces the same sequence from a seed across versions; ``randrange``,
``shuffle`` and ``choice`` have changed before. An allocation list must be
re-creatable from its seed years later (audit, regulator, re-analysis), so the
whole algorithm lives here and is versioned by ``ALGORITHM_VERSION``.

Algorithm (version 1), complete enough to re-implement elsewhere:

* Byte stream: block ``i`` (i = 0, 1, 2, ...) is
  ``HMAC-SHA256(key=seed, message=i as 8-byte big-endian)``; the stream is the
  concatenation of the blocks, consumed front to back, never reused.
* ``randbelow(n)``: ``k = (n - 1).bit_length()``; if ``k == 0`` (n == 1)
  return 0 without consuming bytes. Otherwise take ``ceil(k / 8)`` bytes,
  read them as a big-endian integer, keep the low ``k`` bits, and return the
  value if it is ``< n``; else discard it and draw again (rejection sampling,
  so every value is exactly equally likely).
* ``shuffle(x)``: Fisher–Yates from the end: for ``i = len(x) - 1`` down to
  1, ``j = randbelow(i + 1)``, swap ``x[i]`` and ``x[j]``.
* ``choice(seq)``: ``seq[randbelow(len(seq))]``.
* ``child(label)``: a new generator seeded with
  ``HMAC-SHA256(key=seed, message=b"trialdesk.child\\x00" + label as UTF-8)``;
  the message is at least 16 bytes long, so it can never equal a stream block
  message (8 bytes).

Any change that alters an output must bump ``ALGORITHM_VERSION``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import MutableSequence, Sequence
from typing import Any, TypeVar

ALGORITHM_VERSION = 1
SEED_BYTES = 32
MIN_SEED_BYTES = 16
_CHILD_PREFIX = b"trialdesk.child\x00"

T = TypeVar("T")


def new_seed() -> bytes:
    """Return a fresh 256-bit seed from the operating system's CSPRNG."""
    return secrets.token_bytes(SEED_BYTES)


class DeterministicRandom:
    """HMAC-SHA256 counter-mode generator: same seed, same outputs, forever."""

    __slots__ = ("_buffer", "_counter", "_seed")

    def __init__(self, seed: bytes) -> None:
        if not isinstance(seed, bytes | bytearray):
            raise TypeError("seed must be bytes")
        if len(seed) < MIN_SEED_BYTES:
            # A short seed could be guessed, and the seed reveals the allocation.
            raise ValueError(f"seed must be at least {MIN_SEED_BYTES} bytes, got {len(seed)}")
        self._seed = bytes(seed)
        self._counter = 0
        self._buffer = b""

    def __repr__(self) -> str:
        # Never show the seed: it reveals the allocation list.
        return f"DeterministicRandom(<seed hidden>, block={self._counter})"

    def _take(self, count: int) -> bytes:
        while len(self._buffer) < count:
            message = self._counter.to_bytes(8, "big")
            self._buffer += hmac.digest(self._seed, message, hashlib.sha256)
            self._counter += 1
        out, self._buffer = self._buffer[:count], self._buffer[count:]
        return out

    def randbelow(self, n: int) -> int:
        """Uniform integer in ``[0, n)`` by rejection sampling (no modulo bias)."""
        if n <= 0:
            raise ValueError(f"randbelow needs n >= 1, got {n}")
        bits = (n - 1).bit_length()
        if bits == 0:
            return 0
        mask = (1 << bits) - 1
        nbytes = (bits + 7) // 8
        while True:
            value = int.from_bytes(self._take(nbytes), "big") & mask
            if value < n:
                return value

    def shuffle(self, x: MutableSequence[Any]) -> None:
        """Shuffle in place with Fisher–Yates, drawing from the end of the list."""
        for i in range(len(x) - 1, 0, -1):
            j = self.randbelow(i + 1)
            x[i], x[j] = x[j], x[i]

    def choice(self, seq: Sequence[T]) -> T:
        """Return one element, each equally likely."""
        if not seq:
            raise IndexError("cannot choose from an empty sequence")
        return seq[self.randbelow(len(seq))]

    def child(self, label: str) -> DeterministicRandom:
        """Independent generator for a named purpose (e.g. one stratum).

        Lets each stratum's list depend only on the seed and its own name, not
        on the order or size of the other strata.
        """
        message = _CHILD_PREFIX + label.encode("utf-8")
        return DeterministicRandom(hmac.digest(self._seed, message, hashlib.sha256))
