"""Reference data read once and shared by the requests of a process for a few seconds.

Units, loan rules and the van timetable change a few times a year, yet every circulation
request needs them; reading them each time was a third of a check-out's queries. A change made
in this process clears the cache at once (the writing use case calls ``clear``); one made in
another process (a second worker, the CLI) is seen within the cache's lifetime.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")


class SharedCache(Generic[T]):
    def __init__(self, seconds: float = 10.0):
        self.seconds = seconds
        self._lock = threading.Lock()
        self._values: dict[str, tuple[float, T]] = {}

    def get(self, session: Session, load: Callable[[Session], T], *, fresh: bool = False) -> T:
        """The cached value for the session's database, loaded with ``load`` when missing,
        expired, or ``fresh`` is asked for."""
        key = str(session.get_bind().url)
        now = time.monotonic()
        with self._lock:
            hit = self._values.get(key)
        if hit is not None and hit[0] > now and not fresh:
            return hit[1]
        value = load(session)
        with self._lock:
            self._values[key] = (now + self.seconds, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
