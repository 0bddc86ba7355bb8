"""The matcher's street memo: look-ups met again stay while one-off ones come and go."""

from __future__ import annotations

from jobforge.services.location.addresses.match import _Memo


def test_look_ups_met_again_outlive_one_off_ones() -> None:
    memo = _Memo(8)
    memo.put("street", "candidates")
    assert memo.get("street") == "candidates"  # met again: kept
    for n in range(100):  # one-off look-ups (typo'd streets) fill and flush the other part
        memo.put(("typo", n), n)
    assert memo.get("street") == "candidates"
    assert memo.get(("typo", 0)) is None and len(memo.new) <= 4


def test_the_kept_part_drops_its_older_half_when_full() -> None:
    memo = _Memo(8)
    for n in range(20):
        memo.put(n, n)
        assert memo.get(n) == n
    assert len(memo.kept) <= 8
    assert memo.get(19) == 19 and memo.get(0) is None
