"""A short-lived, per-process cache of registry contexts (campaign, household...).

A member filling a declaration sends a request per step; reading the registry for each one was
a third of a step's cost. Contexts are cached for a few seconds per (account, workflow, day).
Nothing depends on it being shared between workers: a miss simply reads the registry. Anything
that decides (starting, submitting, amending) reads the registry afresh, so a stale entry can at
worst show a step list a few seconds old, never let a closed campaign accept a declaration.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from datetime import date
from typing import Any

Key = tuple[str, str, date]


class ContextCache:
    def __init__(self, seconds: float, size: int = 10_000) -> None:
        self.seconds, self.size = seconds, size
        self._items: OrderedDict[Key, tuple[float, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Key) -> dict[str, Any] | None:
        if self.seconds <= 0:
            return None
        with self._lock:
            found = self._items.get(key)
            if found is None or found[0] < time.monotonic():
                self._items.pop(key, None)
                return None
            return found[1]

    def put(self, key: Key, values: dict[str, Any]) -> None:
        if self.seconds <= 0:
            return
        with self._lock:
            self._items[key] = (time.monotonic() + self.seconds, values)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
