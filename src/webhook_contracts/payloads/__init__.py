"""One payload against one contract: envelope unwrapping, event detection and
strict validation."""
