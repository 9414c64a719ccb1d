# A click command that prints with rich.
import click
from rich.console import Console
from rich.table import Table


@click.command()
@click.option("--name", default="world")
@click.argument("count", type=int)
def cli(name, count):
    console = Console(width=60, color_system=None, force_terminal=False)
    table = Table(title=f"Hello {name}")
    table.add_column("n")
    table.add_column("square", justify="right")
    for i in range(count):
        table.add_row(str(i), str(i * i))
    console.print(table)
    console.print("[bold]done[/bold]", style="italic")


def main():
    cli()
