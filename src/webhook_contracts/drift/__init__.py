"""Stage 2: captured payloads are compared with the contracts.

Sources are read into records, the fast path passes payloads that match a
contract exactly, the walker explains the others, and the aggregator folds
everything into one Report.
"""
