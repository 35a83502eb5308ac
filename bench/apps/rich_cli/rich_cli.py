"""A small click + rich command-line tool: parses options, renders a table and a panel.

One of the benchmark's applications (bench/README.md): the kind of CLI that
users package into one file. Output goes to whatever stdout is; rich renders
plain text when it is not a terminal.
"""

import click
from rich.console import Console
from rich.panel import Panel
from rich.table import Table


@click.command()
@click.option("--rows", default=5, show_default=True, help="Number of table rows.")
@click.option("--title", default="Inventory", show_default=True, help="Table title.")
def cli(rows: int, title: str) -> None:
    """Print an inventory table and a summary panel."""
    console = Console(width=80)
    table = Table(title=title)
    table.add_column("item")
    table.add_column("count", justify="right")
    table.add_column("price", justify="right")
    total = 0.0
    for i in range(rows):
        count, price = i + 1, 1.25 * (i + 2)
        total += count * price
        table.add_row(f"item-{i}", str(count), f"{price:.2f}")
    console.print(table)
    console.print(Panel(f"[bold]{rows}[/bold] rows, total [green]{total:.2f}[/green]"))


def main() -> int:
    cli.main(standalone_mode=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
