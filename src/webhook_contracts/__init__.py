"""webhook-contracts: contracts from webhook doc pages, validation and drift.

The library API; the `webhook-contracts` command is a thin layer over it.
"""

from __future__ import annotations

from .contract import ContractSet, Disagreement, build_contracts
from .contractdiff import Contract, diff_contracts, resolve_contract
from .docpage import DocField, DocPage, parse_doc_page, read_doc_page
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
from .inference import infer_schema
from .payloadcompare import compare_payloads
from .registry import Registry, Revision, load_registry
from .schemadiff import FieldSpec, SchemaChange, diff_schemas, flatten_schema
from .validation import ContractValidator, ValidationResult, Violation, detect_event, unwrap

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "Contract",
    "ContractSet",
    "ContractValidator",
    "Disagreement",
    "DocField",
    "DocPage",
    "DocPageError",
    "ExitCode",
    "FieldSpec",
    "Finding",
    "GenerationError",
    "InputError",
    "Location",
    "PayloadError",
    "Registry",
    "RegistryError",
    "Report",
    "Revision",
    "SchemaChange",
    "SchemaFileError",
    "Severity",
    "ValidationResult",
    "Violation",
    "WebhookContractsError",
    "__version__",
    "build_contracts",
    "compare_payloads",
    "detect_event",
    "diff_contracts",
    "diff_schemas",
    "flatten_schema",
    "infer_schema",
    "load_registry",
    "parse_doc_page",
    "read_doc_page",
    "resolve_contract",
    "unwrap",
]
