"""pickle: dumps and loads of records (dicts, tuples, frozensets, bytes, dates), shared.

The C accelerator (_pickle): object creation, memoization of shared objects.
Only the standard library's types: a class of the workload's own would not
load back (the workload is run as a file, not imported as a module).
"""

from __future__ import annotations

import datetime
import pickle

ROUNDS = 20


def account(ident: int) -> dict[str, object]:
    return {
        "ident": ident,
        "owner": f"owner {ident}",
        "balance": ident * 3.5,
        "opened": datetime.date(2000 + ident % 25, ident % 12 + 1, ident % 28 + 1),
        "history": [(day, ident * day % 97) for day in range(ident % 11)],
        "flags": frozenset({"active", "verified"} if ident % 2 else {"active"}),
        "blob": bytes(ident % 64),
    }


def bench() -> str:
    accounts = [account(i) for i in range(5_000)]
    shared = {"index": {a["ident"]: a for a in accounts[::3]}, "accounts": accounts}
    size = 0
    for i in range(ROUNDS):
        data = pickle.dumps(shared, protocol=2 + i % 4)
        back = pickle.loads(data)
        size += len(data)
    if back["index"][9] is not back["accounts"][9] or back["accounts"][7]["history"][3] != (3, 21):
        raise AssertionError("the round trip lost the sharing or the data")
    return str(size)
