"""Touches about 40 standard-library modules, each for real, and prints a summary.

Used by the README, the end-to-end tests and the start-up benchmark: it is
the "real application" that imports a sizeable part of the standard library.
"""

import argparse
import asyncio
import base64
import collections
import csv
import dataclasses
import datetime
import decimal
import email.message
import enum
import fractions
import functools
import gzip
import hashlib
import http.client
import io
import itertools
import json
import logging
import multiprocessing
import os
import pathlib
import random
import re
import shutil
import sqlite3
import ssl
import statistics
import string
import struct
import subprocess
import sys
import tempfile
import textwrap
import threading
import typing
import unittest.mock
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
import zipfile


class Color(enum.Enum):
    RED = 1
    GREEN = 2


@dataclasses.dataclass(frozen=True)
class Point:
    x: int
    y: int


async def _double(n: int) -> int:
    await asyncio.sleep(0)
    return n * 2


def checks() -> dict[str, typing.Any]:
    out: dict[str, typing.Any] = {}
    out["json"] = json.loads(json.dumps({"a": [1, 2]}))["a"][1]
    out["decimal"] = str(decimal.Decimal("1.10") + decimal.Decimal("2.20"))
    out["fraction"] = str(fractions.Fraction(3, 6))
    db = sqlite3.connect(":memory:")
    out["sqlite"] = db.execute("select 6 * 7").fetchone()[0]
    out["ssl"] = ssl.create_default_context().protocol.name
    out["sha256"] = hashlib.sha256(b"pyingot").hexdigest()[:12]
    out["base64"] = base64.b64encode(b"ingot").decode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.txt", "zipped")
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        out["zipfile"] = zf.read("a.txt").decode()
    out["gzip"] = gzip.decompress(gzip.compress(b"gz")).decode()
    out["xml"] = ET.fromstring("<a><b>x</b></a>").find("b").text
    msg = email.message.EmailMessage()
    msg["Subject"] = "hi"
    out["email"] = msg["Subject"]
    out["http"] = http.client.HTTPConnection("localhost", 8080).port
    out["urllib"] = urllib.parse.urlsplit("https://example.org/p?q=1").query
    out["asyncio"] = asyncio.run(_double(21))
    out["csv"] = next(csv.reader(io.StringIO("a,b\n")))
    out["counter"] = collections.Counter("abca").most_common(1)[0]
    out["datetime"] = datetime.date(2026, 1, 2).isoformat()
    out["statistics"] = statistics.mean([1, 2, 3])
    out["re"] = re.sub(r"\d", "#", "a1b2")
    out["struct"] = struct.unpack("<I", struct.pack("<I", 7))[0]
    out["uuid"] = uuid.UUID(int=1).version is None
    out["enum"] = Color.GREEN.name
    out["dataclass"] = Point(1, 2).y
    out["textwrap"] = textwrap.shorten("hello big world", 10)
    out["itertools"] = list(itertools.islice(itertools.count(), 3))
    out["functools"] = functools.reduce(lambda a, b: a + b, [1, 2, 3])
    out["random"] = random.Random(1).randint(1, 6)
    out["string"] = string.ascii_lowercase[:3]
    out["mock"] = unittest.mock.Mock(return_value=3)()
    out["cpu_count"] = multiprocessing.cpu_count() > 0
    out["pathlib"] = pathlib.PurePosixPath("/a/b.txt").suffix
    out["shutil"] = shutil.which("sh") is not None
    # No child process: the tests run this app alone in an empty chroot.
    out["subprocess"] = subprocess.list2cmdline(["a b", "c"])
    out["threading"] = threading.current_thread().name
    out["tempfile"] = callable(tempfile.mkdtemp)
    out["os"] = os.sep
    return out


def main() -> int:
    parser = argparse.ArgumentParser(prog="stdlib-tour", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s", stream=sys.stderr)
    results = checks()
    logging.getLogger("tour").debug("done")
    if args.json:
        print(json.dumps(results, sort_keys=True))
    else:
        print(f"{len(results)} checks passed on Python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
