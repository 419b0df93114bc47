"""How a command ends: the toolkit's errors as one line and exit 2, signals as shells expect, quiet broken pipes."""

from __future__ import annotations

import contextlib
import functools
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import click

from ..errors import ExitCode, WebhookContractsError
from .terminal import silence_stdout

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str) -> None:
    """Each line of *message* on stderr as an error, then exit 2."""
    for line in message.splitlines() or [""]:
        click.echo(f"error: {line}", err=True)
    sys.exit(ExitCode.ERROR)


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so that clean-up (stopping `--jobs` workers) runs."""


def _on_sigterm(signum: int, frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends the process at once
    raise _Terminated


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def handle_errors(func: F) -> F:
    """Turn the toolkit's own errors into one line on stderr and exit code 2.

    SIGINT and SIGTERM end the command as shells expect: a one-line message and
    exit 130 or 143 (128 + the signal number), after clean-up.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with _sigterm_raises():
                return func(*args, **kwargs)
        except KeyboardInterrupt:
            click.echo("error: interrupted", err=True)
            sys.exit(128 + signal.SIGINT)
        except _Terminated:
            click.echo("error: terminated", err=True)
            sys.exit(128 + signal.SIGTERM)
        except BrokenPipeError:
            # The reader went away (`| head`) before a command knew its outcome: stop quietly.
            silence_stdout()
            sys.exit(ExitCode.FINDINGS)
        except WebhookContractsError as exc:
            fail(str(exc))
        except OSError as exc:
            fail(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))
        return None

    return wrapper  # type: ignore[return-value]
