"""The card's HTTP API: citizens' cards, administration, and what facility terminals call."""

blueprints: list = []
