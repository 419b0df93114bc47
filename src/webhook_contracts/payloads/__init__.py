"""One payload against one contract: envelope unwrapping, event detection and
strict validation."""

#: Errors of one payload collected by default before validation stops (`max-errors-per-payload`).
#: Here rather than in :mod:`.validate`, so that the settings do not import jsonschema.
MAX_ERRORS = 100
