"""Running the same action from many clients at once, as desks and self-check machines do."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def at_once(action: Callable[[int], Any], clients: int, refused: type[BaseException] | tuple = ()) -> list[Any]:
    """Run ``action(n)`` for n in range(clients) in parallel threads, all released together.

    Returns each client's result, or the ``refused`` exception it raised; any other exception
    fails the test in the calling thread.
    """
    barrier = threading.Barrier(clients)
    results: list[Any] = [None] * clients
    errors: list[BaseException] = []

    def run(n: int) -> None:
        barrier.wait()
        try:
            results[n] = action(n)
        except refused as exc:  # type: ignore[misc]
            results[n] = exc
        except BaseException as exc:  # surfaced below, in the test's own thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results
