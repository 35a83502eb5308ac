"""Two CPU-bound pure-Python threads, then the same work one after the other.

On a free-threaded interpreter (``python = "3.13t"``) the threads run in
parallel, so with two cores the threaded run takes about half the time. Then
numpy, from its ``cp313t`` wheel, computes a matrix product and an inverse; it
declares that it runs without the GIL, so the GIL stays off. Prints JSON.
"""

import json
import sys
import threading
import time

#: Loop iterations per unit of work: about a quarter of a second on this machine.
WORK = 3_000_000


def work(n: int) -> int:
    """Pure Python, no shared state: each thread touches only its own locals."""
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def sequential(units: int) -> float:
    started = time.perf_counter()
    for _ in range(units):
        work(WORK)
    return time.perf_counter() - started


def threaded(units: int) -> float:
    threads = [threading.Thread(target=work, args=(WORK,)) for _ in range(units)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def main() -> int:
    gil_at_start = sys._is_gil_enabled()
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    # The best of a few rounds: the machine may be busy with something else.
    one_by_one = min(sequential(2) for _ in range(rounds))
    two_threads = min(threaded(2) for _ in range(rounds))

    import numpy as np

    a = np.array([[4.0, 7.0], [2.0, 6.0]])
    b = np.arange(4.0).reshape(2, 2)
    inverse = np.linalg.inv(a)
    print(
        json.dumps(
            {
                "gil_enabled_at_start": gil_at_start,
                "gil_enabled_after_numpy": sys._is_gil_enabled(),
                "sequential_s": round(one_by_one, 3),
                "threaded_s": round(two_threads, 3),
                "speedup": round(one_by_one / two_threads, 2),
                "numpy": np.__version__,
                "product": (a @ b).tolist(),
                "inverse": np.round(inverse, 6).tolist(),
                "identity_ok": bool(np.allclose(a @ inverse, np.eye(2))),
            }
        )
    )
    return 0
