"""The card's HTTP API: citizens' cards, administration, and what facility terminals call."""

from cardapi.routes import admin, cards, helpdesk, terminals

blueprints = (cards.blp, admin.blp, helpdesk.blp, terminals.blp)
