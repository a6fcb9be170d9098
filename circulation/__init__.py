"""Circulation (通借通还): patrons, policies, loans, holds, fines, SIP2.

Built in the circulation issue on top of logistics and the catalogue. This package is empty
until then; its place in the import order is fixed already.
"""
