"""Accounts and access: staff users with roles, reader accounts, API keys, tokens, scopes."""
