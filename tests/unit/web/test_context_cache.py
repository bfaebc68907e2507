"""The registry-context cache: entries expire, size is bounded, 0 seconds disables it."""

from __future__ import annotations

from datetime import date

from web.context_cache import ContextCache

DAY = date(2026, 11, 23)


def test_an_entry_is_reused_then_expires(monkeypatch):
    now = [100.0]
    monkeypatch.setattr("web.context_cache.time.monotonic", lambda: now[0])
    cache = ContextCache(20)
    cache.put(("a", "wf", DAY), {"campaign": {"open": True}})
    assert cache.get(("a", "wf", DAY)) == {"campaign": {"open": True}}
    assert cache.get(("a", "wf", date(2026, 11, 24))) is None  # another day, another entry
    now[0] = 121.0
    assert cache.get(("a", "wf", DAY)) is None


def test_zero_seconds_disables_it():
    cache = ContextCache(0)
    cache.put(("a", "wf", DAY), {"x": 1})
    assert cache.get(("a", "wf", DAY)) is None


def test_the_oldest_entries_go_first_when_full():
    cache = ContextCache(60, size=2)
    for name in ("a", "b", "c"):
        cache.put((name, "wf", DAY), {"n": name})
    assert cache.get(("a", "wf", DAY)) is None
    assert cache.get(("c", "wf", DAY)) == {"n": "c"}
