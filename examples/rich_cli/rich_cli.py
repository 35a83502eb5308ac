"""A small click command that prints a rich table of the Python it runs on."""

import platform
import sys

import click
from rich.console import Console
from rich.table import Table


@click.command()
@click.option("--title", default="pyingot", help="The table's title.")
@click.option("--rows", default=3, show_default=True, help="How many numbered rows to add.")
def main(title: str, rows: int) -> None:
    """Print a table: the interpreter, and a few numbered rows."""
    table = Table(title=title)
    table.add_column("key")
    table.add_column("value")
    table.add_row("python", platform.python_version())
    table.add_row("frozen", str(getattr(sys, "frozen", False)))
    for i in range(rows):
        table.add_row(f"row {i}", "x" * (i + 1))
    Console(width=60, force_terminal=False, color_system=None).print(table)
