"""`clusterbot skills ...`: the skills members need."""
import typer

app = typer.Typer(help="Skills needs of members.", no_args_is_help=True)
