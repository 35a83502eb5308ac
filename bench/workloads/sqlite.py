"""sqlite3 in memory: inserts, an index, aggregate queries and many small lookups.

The SQLite library the interpreter is built with, and the _sqlite3 module.
"""

from __future__ import annotations

import sqlite3

ROWS = 100_000
LOOKUPS = 30_000


def bench() -> str:
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, item TEXT, qty INT, price)"
    )
    db.executemany(
        "INSERT INTO orders (customer, item, qty, price) VALUES (?, ?, ?, ?)",
        ((f"c{i % 997}", f"item-{i % 211}", i % 9 + 1, (i % 500) / 4) for i in range(ROWS)),
    )
    db.execute("CREATE INDEX by_customer ON orders (customer)")
    out = []
    out += db.execute(
        "SELECT item, SUM(qty * price), COUNT(*) FROM orders GROUP BY item ORDER BY 2 DESC LIMIT 5"
    ).fetchall()
    out += db.execute(
        "SELECT customer, AVG(price) FROM orders WHERE qty > 5 GROUP BY customer"
    ).fetchall()[:3]
    out.append(db.execute("SELECT COUNT(*) FROM orders WHERE item LIKE '%-1%'").fetchone())
    total = 0.0
    for i in range(LOOKUPS):
        (spent,) = db.execute(
            "SELECT SUM(qty * price) FROM orders WHERE customer = ?", (f"c{i % 997}",)
        ).fetchone()
        total += spent
    db.close()
    return f"{len(out)} {out[0]} {total:.2f}"
