"""The card's HTTP API: citizens' cards, administration, and what facility terminals call."""

from cardapi.routes import admin, cards, terminals

blueprints = (cards.blp, admin.blp, terminals.blp)
