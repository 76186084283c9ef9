"""Results used lately, kept up to a count: a small thread-safe least-recently-used map.

functools.lru_cache would keep each call's arguments (a whole file's bytes or text) as its key; here the caller
chooses the key (a content hash) and the value is made outside the lock, so a slow extraction blocks no one.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class Recent(Generic[V]):
    """Up to `size` values by key, the least recently used dropped first."""

    def __init__(self, size: int) -> None:
        """An empty map holding at most `size` values."""
        self.size = size
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], V]) -> V:
        """The value kept under `key`, or `make()`'s, kept (two threads may both make it; the last one is kept)."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = make()
        with self._lock:
            self._values[key] = value
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget every value."""
        with self._lock:
            self._values.clear()
