"""The suite hashes new passwords at a cheap scrypt cost (conftest.cheap_key_derivation);
these tests prove that this stays a test-only setting: the application outside pytest
hashes at full cost, and signing in checks each hash at the cost stored with it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from trialcore import passwords

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_FLOOR = 2**15  # about 0.1 s per guess here: see trialcore/passwords.py


def _cost(stored: str) -> int:
    return int(stored.split("$")[1])


def production_hash(password: str) -> str:
    """A hash made by a fresh interpreter from this checkout, as the app makes one."""
    code = ("import sys; from trialcore.passwords import hash_password; "
            "print(hash_password(sys.argv[1]))")
    done = subprocess.run([sys.executable, "-c", code, password], cwd=ROOT, check=True,
                          capture_output=True, text=True)
    return done.stdout.strip()


def test_the_application_hashes_at_full_cost_outside_the_tests() -> None:
    assert _cost(production_hash("correct horse battery")) >= PRODUCTION_FLOOR


def test_a_stored_hash_is_checked_at_its_own_cost() -> None:
    strong = production_hash("correct horse battery")
    cheap = passwords.hash_password("correct horse battery")
    assert _cost(cheap) < _cost(strong)
    for stored in (strong, cheap):
        assert passwords.check_password("correct horse battery", stored)
        assert not passwords.check_password("correct horse batterY", stored)
