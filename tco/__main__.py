"""`python -m tco` runs the CLI, like the `tco` console script."""

from tco.cli import app

app(prog_name="tco")
