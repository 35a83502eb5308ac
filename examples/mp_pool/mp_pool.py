"""Squares numbers in worker processes with the spawn and the fork start methods."""

import json
import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor


def square(n: int) -> int:
    return n * n


def main() -> int:
    methods = sys.argv[1:] or ["spawn", "fork"]
    results = {}
    for method in methods:
        ctx = multiprocessing.get_context(method)
        with ctx.Pool(2) as pool:
            results[method] = pool.map(square, range(6))
        with ProcessPoolExecutor(2, mp_context=ctx) as executor:
            results[f"{method}-executor"] = list(executor.map(square, range(3)))
    print(json.dumps(results, sort_keys=True))
    return 0
