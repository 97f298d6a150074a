"""Running the command line in-process, the way a script would."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from cli.runner import run


@dataclass
class Outcome:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, db: str,
        *args: str, user: str | None = None, password: str | None = None,
        **env: str) -> Outcome:
    """Run `trialdesk --db DB ARGS` with the given user and secrets in the environment."""
    for key in ("TRIALDESK_USER", "TRIALDESK_PASSWORD", "TRIALDESK_PASSPHRASE",
                "TRIALDESK_EMERGENCY_PASSPHRASE", "TRIALDESK_NEW_PASSWORD",
                "TRIALDESK_DISPENSING_PASSPHRASE", "TRIALDESK_SIGNATURE_PASSWORD"):
        monkeypatch.delenv(key, raising=False)
    if user:
        monkeypatch.setenv("TRIALDESK_USER", user)
    if password:
        monkeypatch.setenv("TRIALDESK_PASSWORD", password)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    capsys.readouterr()
    code = run(["--db", db, *args])
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)
