"""`clusterbot prices ...`: market price history."""
import typer

app = typer.Typer(help="Market prices.", no_args_is_help=True)
