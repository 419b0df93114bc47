"""Failures are exceptions; findings are data.

Every failure the toolkit can foresee derives from :class:`WebhookContractsError`
and carries a message that names the file and the place. The CLI turns these
into one line on stderr and exit code 2; anything else is a bug.
"""

from __future__ import annotations

import enum
from pathlib import Path


class ExitCode(enum.IntEnum):
    """Process exit codes shared by every command."""

    OK = 0
    FINDINGS = 1
    ERROR = 2


class WebhookContractsError(Exception):
    """Base class of every error the toolkit raises on purpose."""


class InputError(WebhookContractsError):
    """A file the user handed us cannot be read as what it should be."""

    def __init__(self, source: str | Path, message: str, *, where: str | None = None) -> None:
        self.source = str(source)
        self.where = where
        self.detail = message
        location = f"{self.source}:{where}" if where else self.source
        super().__init__(f"{location}: {message}")


class DocPageError(InputError):
    """A saved doc page lacks what a contract needs (example, event name, version)."""


class PayloadError(InputError):
    """A captured payload cannot be parsed or matched to a contract."""


class SchemaFileError(InputError):
    """A schema file is not JSON, not a valid schema, or refers outside the registry."""


class UnresolvedRefError(SchemaFileError):
    """A schema's local `$ref` points at nothing: validation would accept anything there."""


class RegistryError(WebhookContractsError):
    """The schemas folder or its index is missing, inconsistent or locked."""


class PublishedRevisionError(RegistryError):
    """A published revision's file differs from the index (edited or removed by hand); one line per file."""


class ConfigError(WebhookContractsError):
    """The configuration names an unknown key or a value of the wrong type."""


class GenerationError(WebhookContractsError):
    """The model generator rejected a schema."""


class ProviderSpecError(InputError):
    """The provider's OpenAPI document cannot be read; names the file and the JSON Pointer."""


class UsageError(WebhookContractsError):
    """The command line or the configuration asks for something that does not exist (an event, an API version)."""


class MissingDependencyError(UsageError):
    """An optional dependency a command needs is missing; the message says what to install."""


class WriteError(WebhookContractsError):
    """A file could not be written (a full disk, no permission); names the file meant, not a temporary one."""

    def __init__(self, path: str | Path, error: OSError) -> None:
        self.path = str(path)
        super().__init__(f"{self.path}: cannot write: {error.strerror or error}")
