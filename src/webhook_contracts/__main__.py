"""`python -m webhook_contracts`."""

from webhook_contracts.cli import main

main()
