"""Core of the ILS: configuration, database, clock, errors, outbox, accounts and the library network.

Everything else (catalog, logistics, circulation) builds on this package; nothing in the
core imports those packages (the app factory and the CLI, which sit on top, are the exception).
"""
