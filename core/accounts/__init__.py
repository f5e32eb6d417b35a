"""Citizens' accounts, roles and sessions: the identity both domains share."""
