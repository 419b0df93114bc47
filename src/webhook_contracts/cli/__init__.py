"""The command line: click only. Parse options, call the library, render, exit."""

from .commands import main

__all__ = ["main"]
