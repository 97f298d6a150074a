"""The domain tests check the key derivation rules at their production costs (the rest
of the suite derives keys cheaply: tests/conftest.py, cheap_key_derivation). CI also
runs this folder without any conftest, where the production costs apply anyway."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import PRODUCTION_SCRYPT_N, set_scrypt_costs


@pytest.fixture(scope="module", autouse=True)
def production_key_derivation() -> Iterator[None]:
    """Module-scoped, so that module-scoped boxes are sealed at production cost too."""
    with pytest.MonkeyPatch.context() as patch:
        set_scrypt_costs(patch, password=PRODUCTION_SCRYPT_N["password"],
                         sealing_n=PRODUCTION_SCRYPT_N["sealing"])
        yield
