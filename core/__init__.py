"""The shared kernel: app factory, extensions, database, Redis, errors, accounts, audit."""
