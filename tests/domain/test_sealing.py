"""Sealing: scrypt + AES-256-GCM. Each scrypt run costs ~0.5 s, so there are six."""

import base64
import json
from dataclasses import replace

import pytest

from trialcore.sealing import (
    MIN_N,
    SealedBox,
    Sealer,
    WrongPassphrase,
    open_sealed,
    seal,
    which_aad,
)

SECRET = b'{"K7QM-2XPA": "120 mg"}'
AAD = b"trialdesk:study-1:key"


@pytest.fixture(scope="module")
def box() -> SealedBox:
    return seal(SECRET, "statistician passphrase", aad=AAD)  # scrypt run 1


@pytest.fixture(scope="module")
def sealer() -> Sealer:
    return Sealer.create("caf\u00e9 investigator")  # scrypt run 2; NFC "é"


def test_seal_and_open(box: SealedBox) -> None:
    assert open_sealed(box, "statistician passphrase", AAD) == SECRET  # scrypt run 3
    assert (box.kdf, box.n, box.r, box.p) == ("scrypt", 2**17, 8, 1)
    assert (len(box.salt), len(box.nonce)) == (16, 12)
    assert SECRET not in box.ciphertext and len(box.ciphertext) == len(SECRET) + 16


def test_wrong_passphrase_says_only_that(box: SealedBox) -> None:
    with pytest.raises(WrongPassphrase) as caught:
        open_sealed(box, "statistician passphrasE", AAD)  # scrypt run 4
    assert str(caught.value) == "wrong passphrase"
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_weak_or_invalid_parameters_are_refused_before_deriving() -> None:
    with pytest.raises(ValueError, match=r"at least 2\*\*17"):
        seal(SECRET, "pw", n=2**16)
    with pytest.raises(ValueError, match="power of two"):
        seal(SECRET, "pw", n=MIN_N + 1)
    with pytest.raises(ValueError, match=r"power of two up to 2\*\*20"):
        Sealer.create("pw", n=2**21)
    with pytest.raises(ValueError, match="empty"):
        seal(SECRET, "")


def test_box_survives_json_storage(box: SealedBox) -> None:
    stored = json.dumps(box.to_dict())
    data = json.loads(stored)
    assert set(data) == {"kdf", "n", "r", "p", "salt", "nonce", "ciphertext"}
    assert base64.b64decode(data["salt"]) == box.salt
    assert SealedBox.from_dict(data) == box


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"n": 2**16}, r"at least 2\*\*17"),
        ({"n": True}, "not an integer"),
        ({"kdf": "pbkdf2"}, "unsupported key derivation"),
        ({"salt": "not base64!"}, "'salt' is not valid base64"),
        ({"nonce": base64.b64encode(b"short").decode()}, "nonce 12 bytes"),
        ({"ciphertext": ""}, "too short"),
    ],
)
def test_malformed_stored_box_is_rejected(box: SealedBox, change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SealedBox.from_dict(box.to_dict() | change)


def test_missing_field_is_rejected(box: SealedBox) -> None:
    data = box.to_dict()
    del data["nonce"]
    with pytest.raises(ValueError, match="missing"):
        SealedBox.from_dict(data)


def test_sealer_seals_many_envelopes_with_fresh_nonces(sealer: Sealer) -> None:
    envelopes = {
        pid: sealer.seal(f"P{pid:03d}: sequence".encode(), b"env:%d" % pid) for pid in range(50)
    }
    assert len({b.nonce for b in envelopes.values()}) == 50
    assert len({b.salt for b in envelopes.values()}) == 1
    for pid, envelope in envelopes.items():
        assert sealer.open(envelope, b"env:%d" % pid) == f"P{pid:03d}: sequence".encode()


def test_envelope_moved_to_another_participant_does_not_open(sealer: Sealer) -> None:
    envelope = sealer.seal(b"secret", b"env:1")
    with pytest.raises(WrongPassphrase):
        sealer.open(envelope, b"env:2")


def test_tampered_ciphertext_does_not_open(sealer: Sealer) -> None:
    envelope = sealer.seal(b"secret", b"env:1")
    flipped = bytes([envelope.ciphertext[0] ^ 1]) + envelope.ciphertext[1:]
    with pytest.raises(WrongPassphrase):
        sealer.open(replace(envelope, ciphertext=flipped), b"env:1")


def test_sealer_refuses_a_box_from_another_derivation(sealer: Sealer, box: SealedBox) -> None:
    with pytest.raises(ValueError, match="another key"):
        sealer.open(box, AAD)


def test_for_box_rederives_and_verifies(sealer: Sealer) -> None:
    first = sealer.seal(b"envelope 1", b"env:1")
    second = sealer.seal(b"envelope 2", b"env:2")
    # Same passphrase typed in decomposed form (NFD), as macOS may deliver it.
    again = Sealer.for_box("cafe\u0301 investigator", first, aad=b"env:1")  # scrypt run 5
    assert again.open(second, b"env:2") == b"envelope 2"
    assert sealer.open(again.seal(b"envelope 3", b"env:3"), b"env:3") == b"envelope 3"
    with pytest.raises(WrongPassphrase):
        Sealer.for_box("cafe investigator", first, aad=b"env:1")  # scrypt run 6


def test_repr_hides_key(sealer: Sealer) -> None:
    assert "hidden" in repr(sealer)


def test_a_moved_box_tells_which_aad_it_belongs_to(sealer: Sealer) -> None:
    envelope = sealer.seal(b"secret", b"env:2")
    aads = [b"env:1", b"env:2", b"env:3"]
    assert which_aad(envelope, "caf\u00e9 investigator", aads) == 1
    assert which_aad(envelope, "caf\u00e9 investigator", [b"env:1"]) is None
    assert which_aad(envelope, "someone else", aads) is None
