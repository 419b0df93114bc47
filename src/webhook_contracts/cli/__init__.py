"""The command line: click only. Parse options into a request, call the library, render, exit.

`app` holds the command group; one module per command family (`contracts`,
`validate`, `diff`, `drift`, `check`) parses its options into a frozen request
and runs it with an `execute` function; `options` and `output` are the report
options and rendering the checking commands share, `exits` how a command ends.
"""

from .app import main

__all__ = ["main"]
