"""docs/configuration.md, generated from the declarations in keys.py.

Regenerate it with::

    python -m pyingot.config > docs/configuration.md
"""

from __future__ import annotations

from pyingot.config import toml
from pyingot.config.keys import EXTENSIONS, KEYS, MODULES, TABLES, TOOL


def reference_markdown() -> str:
    """docs/configuration.md, generated from :data:`KEYS` and :data:`TABLES`."""
    out = [
        "# Configuration reference",
        "",
        "<!-- Generated from src/pyingot/config/keys.py; do not edit. Regenerate with:",
        "     python -m pyingot.config > docs/configuration.md -->",
        "",
        "pyingot reads its settings from the `[tool.pyingot]` tables of the project's",
        "`pyproject.toml`. Every key is optional: a project with `[project] name` and one",
        "`[project.scripts]` entry builds without any. `pyingot init` adds a starter",
        "section that shows every key with its default; without a `pyproject.toml` it",
        "creates one holding only that section (pyingot writes no `[project]` metadata",
        "for you).",
        "",
        "```toml",
        "[project]",
        'name = "hello"',
        'version = "1.0"',
        "",
        "[project.scripts]",
        'hello = "hello.cli:main"',
        "",
        f"[{TOOL}]",
        'python = "3.13"',
        "optimize = 1",
        "",
        f"[{EXTENSIONS}]",
        'policy = "no-copyleft"',
        "",
        f"[{MODULES}]",
        'include = ["hello.plugins.*"]',
        "```",
        "",
        "From `[project]`, pyingot reads `name` (the default executable name) and",
        "`scripts` (the default entry point). Paths are relative to the directory",
        "holding `pyproject.toml`. The settings are checked when they are read; a",
        "mistake stops the build with a message naming the file and the key, such as",
        "",
        "```",
        "error: pyproject.toml: [tool.pyingot] optimize = 3: must be 0, 1 or 2",
        "```",
        "",
        "and an unknown key is an error (with a suggestion when it looks like a typo),",
        "never silently ignored.",
    ]
    for table, about in TABLES.items():
        out += ["", f"## `[{table}]`", "", about]
        for key in (k for k in KEYS if k.table == table):
            facts = [f"*{key.type}*"]
            if key.inferred:
                facts.append(f"default: {key.inferred}")
            else:
                facts.append(f"default: `{toml.value(key.default)}`")
            if key.choices:
                facts.append("one of " + ", ".join(f"`{toml.value(c)}`" for c in key.choices))
            out += ["", f"### `{key.name}`", "", " · ".join(facts), "", key.summary]
            if key.doc:
                out += ["", key.doc]
            if key.example is not None:
                out += [
                    "",
                    "```toml",
                    f"[{table}]",
                    f"{key.name} = {toml.value(key.example)}",
                    "```",
                ]
    return "\n".join(out) + "\n"
