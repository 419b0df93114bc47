"""Stage 1: the provider's documents become contracts.

Doc pages and the provider's OpenAPI document are read, a schema is inferred
from each example, the two sources are reconciled field by field, and the
result is written as versioned JSON Schemas (the registry), pydantic models
and a CHANGELOG entry (regen).
"""
