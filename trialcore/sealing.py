"""Passphrase sealing for the key (code -> condition) and emergency envelopes.

Key derivation: scrypt with ``n >= 2**17`` (enforced), ``r = 8``, ``p = 1``,
a 16-byte random salt and a 32-byte key; encryption: AES-256-GCM with a
12-byte random nonce. The passphrase is never stored; it is normalized to
Unicode NFC so the same passphrase typed on another system opens the box.

``aad`` (associated data) is authenticated but not encrypted: pass something
that names what the box is for (e.g. the study and participant), so a box
copied onto another record will not open there.

A derivation at ``n = 2**17`` costs 128 MiB of memory and about 0.3-0.7 s, on
purpose. ``seal``/``open_sealed`` derive once per call; for many
per-participant envelopes use ``Sealer``, which derives once and then seals or
opens each envelope with its own fresh nonce (safe: random 96-bit nonces
under one key are fine far beyond millions of messages).
"""

from __future__ import annotations

import base64
import binascii
import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

KDF = "scrypt"
MIN_N = 2**17
MAX_N = 2**20  # bounds memory (1 GiB) when opening a box read from storage
R = 8
P = 1
SALT_BYTES = 16
NONCE_BYTES = 12
KEY_BYTES = 32
TAG_BYTES = 16


class WrongPassphrase(Exception):
    """The box did not open: wrong passphrase, or box or aad altered.

    AES-GCM cannot tell these apart; the message never includes any content.
    """

    def __init__(self) -> None:
        super().__init__("wrong passphrase")


@dataclass(frozen=True)
class SealedBox:
    """Everything needed to open a sealed message, except the passphrase."""

    kdf: str
    n: int
    r: int
    p: int
    salt: bytes
    nonce: bytes
    ciphertext: bytes  # includes the 16-byte GCM tag

    def __post_init__(self) -> None:
        if self.kdf != KDF:
            raise ValueError(f"unsupported key derivation {self.kdf!r}")
        _check_n(self.n)
        if self.r < 1 or self.p < 1:
            raise ValueError("scrypt r and p must be positive")
        if len(self.salt) != SALT_BYTES or len(self.nonce) != NONCE_BYTES:
            raise ValueError("salt must be 16 bytes and nonce 12 bytes")
        if len(self.ciphertext) < TAG_BYTES:
            raise ValueError("ciphertext is too short to hold the authentication tag")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: integers as numbers, bytes as base64 text."""
        return {
            "kdf": self.kdf,
            "n": self.n,
            "r": self.r,
            "p": self.p,
            "salt": _b64(self.salt),
            "nonce": _b64(self.nonce),
            "ciphertext": _b64(self.ciphertext),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SealedBox:
        """Inverse of ``to_dict``; raises ValueError on anything malformed."""
        try:
            return cls(
                kdf=data["kdf"],
                n=_int(data["n"]),
                r=_int(data["r"]),
                p=_int(data["p"]),
                salt=_unb64(data, "salt"),
                nonce=_unb64(data, "nonce"),
                ciphertext=_unb64(data, "ciphertext"),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"sealed box is missing or mistypes {exc}") from None


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(data: dict[str, Any], field: str) -> bytes:
    text = data[field]
    if not isinstance(text, str):
        raise TypeError(f"{field!r} must be base64 text")
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError(f"sealed box field {field!r} is not valid base64") from None


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{value!r} is not an integer")
    return value


def _check_n(n: int) -> None:
    if n < MIN_N:
        raise ValueError(f"scrypt n must be at least 2**17 ({MIN_N}), got {n}")
    if n > MAX_N or n & (n - 1):
        raise ValueError(f"scrypt n must be a power of two up to 2**20, got {n}")


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    if not passphrase:
        raise ValueError("passphrase must not be empty")
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    return Scrypt(salt=salt, length=KEY_BYTES, n=n, r=r, p=p).derive(secret)


class Sealer:
    """A derived key for sealing and opening many boxes with one scrypt run.

    Build with ``create`` (new salt, for sealing a new set of envelopes) or
    ``for_box`` (the salt and parameters of an existing box). All boxes it
    seals share the salt and scrypt parameters; each has a fresh nonce.
    The constructor takes an already derived key; callers use the class methods.
    """

    __slots__ = ("_aead", "_n", "_p", "_r", "_salt")

    def __init__(self, key: bytes, *, salt: bytes, n: int, r: int, p: int) -> None:
        self._aead = AESGCM(key)
        self._salt, self._n, self._r, self._p = salt, n, r, p

    def __repr__(self) -> str:
        return f"Sealer(n={self._n}, r={self._r}, p={self._p}, key=<hidden>)"

    @classmethod
    def create(cls, passphrase: str, *, n: int = MIN_N) -> Sealer:
        """Derive a key under a new random salt."""
        _check_n(n)
        salt = os.urandom(SALT_BYTES)
        return cls(_derive(passphrase, salt, n, R, P), salt=salt, n=n, r=R, p=P)

    @classmethod
    def for_box(cls, passphrase: str, box: SealedBox, *, aad: bytes = b"") -> Sealer:
        """Re-derive the key of an existing box, and prove it by opening the box.

        ``aad`` must be that box's aad. Raises ``WrongPassphrase`` otherwise,
        so a mistyped passphrase can never seal new envelopes under a wrong key.
        """
        sealer = cls._derived_for(passphrase, box)
        sealer.open(box, aad)
        return sealer

    @classmethod
    def _derived_for(cls, passphrase: str, box: SealedBox) -> Sealer:
        key = _derive(passphrase, box.salt, box.n, box.r, box.p)
        return cls(key, salt=box.salt, n=box.n, r=box.r, p=box.p)

    def seal(self, plaintext: bytes, aad: bytes = b"") -> SealedBox:
        """Encrypt under this key with a fresh random nonce."""
        nonce = os.urandom(NONCE_BYTES)
        return SealedBox(
            kdf=KDF,
            n=self._n,
            r=self._r,
            p=self._p,
            salt=self._salt,
            nonce=nonce,
            ciphertext=self._aead.encrypt(nonce, plaintext, aad),
        )

    def open(self, box: SealedBox, aad: bytes = b"") -> bytes:
        """Decrypt a box sealed under this key; ValueError if it used another salt."""
        if (box.salt, box.n, box.r, box.p) != (self._salt, self._n, self._r, self._p):
            raise ValueError("box was sealed under another key; use Sealer.for_box for it")
        try:
            return self._aead.decrypt(box.nonce, box.ciphertext, aad)
        except InvalidTag:
            raise WrongPassphrase from None


def seal(plaintext: bytes, passphrase: str, *, aad: bytes = b"", n: int = MIN_N) -> SealedBox:
    """Seal one message under a key derived from ``passphrase`` (one scrypt run)."""
    return Sealer.create(passphrase, n=n).seal(plaintext, aad)


def which_aad(box: SealedBox, passphrase: str, aads: Sequence[bytes]) -> int | None:
    """The index of the aad the box opens with (one scrypt run, then one cheap AES-GCM
    attempt per aad), or None: then the passphrase is wrong or the box altered.

    Tells a box moved to another record (it opens, under that record's aad) from a
    mistyped passphrase, which AES-GCM alone cannot.
    """
    sealer = Sealer._derived_for(passphrase, box)
    for i, aad in enumerate(aads):
        try:
            sealer.open(box, aad)
        except WrongPassphrase:
            continue
        return i
    return None


def open_sealed(box: SealedBox, passphrase: str, aad: bytes = b"") -> bytes:
    """Open one box (one scrypt run); ``WrongPassphrase`` if it does not open."""
    return Sealer._derived_for(passphrase, box).open(box, aad)
