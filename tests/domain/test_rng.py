"""The generator must follow its documented algorithm exactly, forever."""

import hashlib
import hmac
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialcore.rng import ALGORITHM_VERSION, DeterministicRandom, new_seed

SEED = bytes(range(32))


class ReferenceStream:
    """Independent re-implementation of the module docstring, for cross-checking."""

    def __init__(self, seed: bytes) -> None:
        self.seed, self.data, self.used = seed, b"", 0

    def take(self, count: int) -> bytes:
        while len(self.data) - self.used < count:
            block = len(self.data) // 32
            self.data += hmac.new(self.seed, block.to_bytes(8, "big"), hashlib.sha256).digest()
        out = self.data[self.used : self.used + count]
        self.used += count
        return out

    def randbelow(self, n: int) -> int:
        k = (n - 1).bit_length()
        if k == 0:
            return 0
        while True:
            v = int.from_bytes(self.take((k + 7) // 8), "big") % (1 << k)
            if v < n:
                return v


def test_algorithm_version_is_one() -> None:
    assert ALGORITHM_VERSION == 1


def test_first_draw_is_first_byte_of_hmac_block_zero() -> None:
    block0 = hmac.new(SEED, (0).to_bytes(8, "big"), hashlib.sha256).digest()
    assert DeterministicRandom(SEED).randbelow(256) == block0[0]
    r = DeterministicRandom(SEED)
    assert [r.randbelow(2**32) for _ in range(8)] == [
        int.from_bytes(block0[i : i + 4], "big") for i in range(0, 32, 4)
    ]


def test_frozen_vector() -> None:
    # If this fails, outputs changed: bump ALGORITHM_VERSION instead of editing the vector.
    r = DeterministicRandom(SEED)
    draws = [r.randbelow(6) for _ in range(20)]
    assert draws == [4, 1, 1, 0, 1, 1, 1, 5, 3, 1, 2, 3, 4, 1, 2, 1, 3, 5, 5, 1]
    items = list(range(10))
    r.shuffle(items)
    assert items == [9, 2, 5, 1, 8, 6, 7, 4, 0, 3]
    assert r.randbelow(10**12) == 963578657006


def test_matches_reference_across_many_bounds() -> None:
    ours, ref = DeterministicRandom(SEED), ReferenceStream(SEED)
    bounds = [1, 2, 3, 5, 6, 7, 200, 255, 256, 257, 1000, 65537, 2**40 + 3] * 40
    assert [ours.randbelow(n) for n in bounds] == [ref.randbelow(n) for n in bounds]


def test_shuffle_is_documented_fisher_yates() -> None:
    ours, ref = DeterministicRandom(SEED), ReferenceStream(SEED)
    items = list("ABCDEFGHIJ")
    ours.shuffle(items)
    expected = list("ABCDEFGHIJ")
    for i in range(len(expected) - 1, 0, -1):
        j = ref.randbelow(i + 1)
        expected[i], expected[j] = expected[j], expected[i]
    assert items == expected


def test_choice_uses_randbelow() -> None:
    a, b = DeterministicRandom(SEED), DeterministicRandom(SEED)
    seq = ["x", "y", "z", "w", "v"]
    assert [a.choice(seq) for _ in range(30)] == [seq[b.randbelow(5)] for _ in range(30)]


def test_randbelow_one_consumes_nothing() -> None:
    a, b = DeterministicRandom(SEED), DeterministicRandom(SEED)
    assert [a.randbelow(1) for _ in range(5)] == [0] * 5
    assert a.randbelow(1000) == b.randbelow(1000)


def test_same_seed_same_stream_different_seed_different_stream() -> None:
    def draws(seed: bytes) -> list[int]:
        r = DeterministicRandom(seed)
        return [r.randbelow(1000) for _ in range(50)]

    assert draws(SEED) == draws(SEED)
    assert draws(SEED) != draws(bytes(32))


def test_unbiased_for_a_bound_that_forces_rejections() -> None:
    # n = 5 uses 3 bits: raw values 5..7 must be rejected, not folded onto 0..2.
    r = DeterministicRandom(SEED)
    counts = Counter(r.randbelow(5) for _ in range(50_000))
    assert set(counts) == set(range(5))
    chi2 = sum((c - 10_000) ** 2 / 10_000 for c in counts.values())
    assert chi2 < 18.5  # chi-square, 4 df, p = 0.001


def test_shuffle_reaches_every_permutation_evenly() -> None:
    r = DeterministicRandom(SEED)
    counts = Counter()
    for _ in range(6000):
        items = [0, 1, 2]
        r.shuffle(items)
        counts[tuple(items)] += 1
    assert len(counts) == 6
    assert all(850 < c < 1150 for c in counts.values())


def test_child_streams_are_deterministic_and_distinct() -> None:
    root = DeterministicRandom(SEED)
    a1, a2, b = root.child("a"), DeterministicRandom(SEED).child("a"), root.child("b")
    first = [a1.randbelow(2**32) for _ in range(4)]
    assert first == [a2.randbelow(2**32) for _ in range(4)]
    assert first != [b.randbelow(2**32) for _ in range(4)]
    assert first != [DeterministicRandom(SEED).randbelow(2**32) for _ in range(4)]


def test_invalid_use_is_rejected() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        DeterministicRandom(b"short")
    with pytest.raises(TypeError):
        DeterministicRandom("not bytes")  # type: ignore[arg-type]
    r = DeterministicRandom(SEED)
    with pytest.raises(ValueError):
        r.randbelow(0)
    with pytest.raises(IndexError):
        r.choice([])


def test_repr_hides_seed() -> None:
    assert SEED.hex() not in repr(DeterministicRandom(SEED))
    assert "hidden" in repr(DeterministicRandom(SEED))


def test_new_seed_is_32_fresh_bytes() -> None:
    seeds = {new_seed() for _ in range(20)}
    assert len(seeds) == 20
    assert all(len(s) == 32 for s in seeds)


@given(seed=st.binary(min_size=16, max_size=64), n=st.integers(min_value=1, max_value=10**15))
def test_randbelow_stays_in_range(seed: bytes, n: int) -> None:
    r = DeterministicRandom(seed)
    assert all(0 <= r.randbelow(n) < n for _ in range(10))
