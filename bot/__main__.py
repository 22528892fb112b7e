"""`python -m bot` is the `clusterbot` command."""
from bot.cli import app

app()
