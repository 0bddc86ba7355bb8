"""ReadCache.clear (the control API's reset): entries go, and reads begun before it cannot store."""

from __future__ import annotations

from jobforge.engine.cache import ReadCache


def test_clear_forgets_every_entry() -> None:
    cache: ReadCache[str] = ReadCache()
    _, version = cache.get("a")
    cache.put("a", "old", version)
    assert cache.get("a")[0] == "old"
    cache.clear()
    assert cache.get("a")[0] is None


def test_a_read_begun_before_clear_is_not_stored() -> None:
    cache: ReadCache[str] = ReadCache()
    _, seen_key = cache.get("known")
    cache.invalidate("known")
    _, known_version = cache.get("known")  # a written key, read before the clear
    _, fresh_version = cache.get("fresh")  # a key never written
    cache.clear()
    cache.put("known", "stale", known_version)
    cache.put("fresh", "stale", fresh_version)
    assert cache.get("known")[0] is None and cache.get("fresh")[0] is None
    _, version = cache.get("fresh")  # reads after the clear store as usual
    cache.put("fresh", "new", version)
    assert cache.get("fresh")[0] == "new" and seen_key != known_version
