from trialcore.wording import counted


def test_counts_agree_with_their_nouns() -> None:
    assert counted(1, "row") == "1 row"
    assert counted(0, "row") == "0 rows"
    assert counted(2, "entry", "entries") == "2 entries"
    assert counted(1, "entry", "entries") == "1 entry"
    assert counted(12000, "value") == "12,000 values"
