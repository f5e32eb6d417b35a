"""Passes a rider buys and the ledger of what they are charged."""
