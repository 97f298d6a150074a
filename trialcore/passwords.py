"""Account passwords: stored only as a slow, salted scrypt hash."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

from zxcvbn import zxcvbn

# scrypt cost for login passwords: about 0.1 s here, slow enough to make
# guessing a stolen database expensive, fast enough for a login dialog.
N, R, P = 2**15, 8, 1
MIN_LENGTH = 8


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, maxmem=64 * 2**20)
    b64 = base64.b64encode
    return f"scrypt${N}${R}${P}${b64(salt).decode()}${b64(key).decode()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, key = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r),
                         p=int(p), maxmem=64 * 2**20)
    return hmac.compare_digest(got, base64.b64decode(key))


# zxcvbn's score runs 0 (guessed at once) to 4 (very unlikely); 3 means "safely
# unguessable" for an offline attack on a slow hash, which is the threat to a stolen
# database file or a sealed key.
MIN_SCORE = 3


def weakness(secret: str, *, user_inputs: Sequence[str] = (),
                     what: str = "password") -> str | None:
    """Why `secret` is too weak to protect a trial, or None when it is strong enough.

    A maintained estimator (zxcvbn) judges it, with the account's name and the
    study's words as `user_inputs`, so that "cora2026" is as weak for cora as it
    looks. Used for login passwords and the sealing, dispensing and emergency
    passphrases alike: each of them guards either the blind or the data."""
    if len(secret) < MIN_LENGTH:
        return f"a {what} needs at least {MIN_LENGTH} characters"
    words = [w for w in user_inputs if w]
    if any(secret.strip().casefold() == w.strip().casefold() for w in words):
        return f"a {what} must not be the user name"
    result = zxcvbn(secret[:100], user_inputs=words)
    if result["score"] >= MIN_SCORE:
        return None
    feedback = result.get("feedback") or {}
    hints = [feedback.get("warning") or "", *feedback.get("suggestions", [])]
    advice = " ".join(h.strip() for h in hints if h and h.strip())
    return f"this {what} is too easy to guess" + (f": {advice}" if advice else "")
