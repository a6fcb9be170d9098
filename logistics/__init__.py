"""Logistics (文献物流): transits, return policy (home / hold / float), crates, routes and runs.

Built in the logistics issue on top of the catalogue's items (through ``catalog.public``).
This package is empty until then; its place in the import order is fixed already.
"""
