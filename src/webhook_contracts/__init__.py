"""webhook-contracts: contracts from webhook doc pages, validation and drift.

The library API; the `webhook-contracts` command is a thin layer over it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .contracts.build import ContractSet, Disagreement, build_contracts
    from .contracts.docpage import DocField, DocPage
    from .contracts.inference import infer_schema
    from .contracts.registry import Registry, Revision, load_registry
    from .diff.contracts import Contract, diff_contracts, resolve_contract
    from .diff.payloads import compare_payloads
    from .diff.schemas import FieldSpec, SchemaChange, diff_schemas, flatten_schema
    from .drift.run import DriftRequest, drift_request, run_drift
    from .errors import (
        ConfigError,
        DocPageError,
        ExitCode,
        GenerationError,
        InputError,
        PayloadError,
        RegistryError,
        SchemaFileError,
        WebhookContractsError,
    )
    from .findings import Finding, Location, Report, Severity
    from .payloads.detect import detect_event
    from .payloads.envelope import unwrap
    from .payloads.results import validation_report
    from .payloads.validate import ContractValidator, ValidationResult
    from .providers import PROVIDERS, Provider, get_provider
    from .providers.voucherify.pages import parse_doc_page, read_doc_page


def _version() -> str:
    """The installed distribution's version (pyproject.toml is the one place it is written)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("webhook-contracts")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"


#: Where each name of the API lives. Names are imported when first used, so that a
#: command pays at start-up only for the modules it needs (deepdiff alone costs
#: a tenth of a second).
_EXPORTS = {
    "ConfigError": "errors",
    "Contract": "diff.contracts",
    "ContractSet": "contracts.build",
    "ContractValidator": "payloads.validate",
    "Disagreement": "contracts.build",
    "DocField": "contracts.docpage",
    "DocPage": "contracts.docpage",
    "DocPageError": "errors",
    "DriftRequest": "drift.run",
    "ExitCode": "errors",
    "FieldSpec": "diff.schemas",
    "Finding": "findings",
    "GenerationError": "errors",
    "InputError": "errors",
    "Location": "findings",
    "PROVIDERS": "providers",
    "PayloadError": "errors",
    "Provider": "providers",
    "Registry": "contracts.registry",
    "RegistryError": "errors",
    "Report": "findings",
    "Revision": "contracts.registry",
    "SchemaChange": "diff.schemas",
    "SchemaFileError": "errors",
    "Severity": "findings",
    "ValidationResult": "payloads.validate",
    "WebhookContractsError": "errors",
    "build_contracts": "contracts.build",
    "compare_payloads": "diff.payloads",
    "detect_event": "payloads.detect",
    "diff_contracts": "diff.contracts",
    "diff_schemas": "diff.schemas",
    "drift_request": "drift.run",
    "flatten_schema": "diff.schemas",
    "infer_schema": "contracts.inference",
    "load_registry": "contracts.registry",
    "get_provider": "providers",
    "parse_doc_page": "providers.voucherify.pages",
    "read_doc_page": "providers.voucherify.pages",
    "resolve_contract": "diff.contracts",
    "run_drift": "drift.run",
    "unwrap": "payloads.envelope",
    "validation_report": "payloads.results",
}


def lazy_export(package: str, exports: dict[str, str], namespace: dict[str, Any], name: str) -> Any:
    """The module `__getattr__` of a *package* whose names are imported when first asked for: *name* from its
    module in *exports* (relative to *package*), kept in the package's *namespace* for the next time."""
    module = exports.get(name)
    if module is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", package), name)
    namespace[name] = value
    return value


def __getattr__(name: str) -> Any:
    if name == "__version__":  # read from the installed metadata when asked (it costs an import)
        globals()[name] = _version()
        return globals()[name]
    return lazy_export(__name__, _EXPORTS, globals(), name)


__all__ = [
    "PROVIDERS",
    "ConfigError",
    "Contract",
    "ContractSet",
    "ContractValidator",
    "Disagreement",
    "DocField",
    "DocPage",
    "DocPageError",
    "DriftRequest",
    "ExitCode",
    "FieldSpec",
    "Finding",
    "GenerationError",
    "InputError",
    "Location",
    "PayloadError",
    "Provider",
    "Registry",
    "RegistryError",
    "Report",
    "Revision",
    "SchemaChange",
    "SchemaFileError",
    "Severity",
    "ValidationResult",
    "WebhookContractsError",
    "__version__",
    "build_contracts",
    "compare_payloads",
    "detect_event",
    "diff_contracts",
    "diff_schemas",
    "drift_request",
    "flatten_schema",
    "get_provider",
    "infer_schema",
    "load_registry",
    "parse_doc_page",
    "read_doc_page",
    "resolve_contract",
    "run_drift",
    "unwrap",
    "validation_report",
]
