"""What every command shares: a one-line user error, and reading an input file.

A leaf (it imports nothing of ours): the command modules import it instead of `cli.py`,
so `cli.py` can load a command's module only when that command runs.
"""

import sys

import click


def fail(message: str, status: int = 1):
    """Print `wasmmerge: error: MESSAGE` and exit: a user error is one line, never a traceback."""
    click.echo(f"wasmmerge: error: {message}", err=True)
    sys.exit(status)


def read_input(path: str) -> bytes:
    """Read an input file, turning OS errors into one-line user errors."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as err:
        fail(f"{path}: {err.strerror or err}")
