"""Running the same work in several threads at once, each on its own database connection,
as several workers or desks do (for the PostgreSQL race tests)."""

from __future__ import annotations

import threading

from django.db import connections


def side_by_side(count: int, work) -> list:
    """Start ``work()`` in ``count`` threads released together; their results (in the order
    they finished). Any thread's exception is raised here once all have ended."""
    barrier = threading.Barrier(count)
    results, failures = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(work())
        except Exception as exc:  # noqa: BLE001 - raised below, in the test's thread
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if failures:
        raise failures[0]
    return results
