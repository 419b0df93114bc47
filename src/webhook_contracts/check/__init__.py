"""The pre-merge gate: one function per check, in one table."""
