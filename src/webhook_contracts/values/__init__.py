"""The value rules every checker shares: JSON types and numbers, RFC 3339
dates, string formats, JSON Pointers and strict JSON parsing."""
