"""Alembic migrations (shipped with the package so `ils migrate` works from any directory)."""
