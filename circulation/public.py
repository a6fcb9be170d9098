"""What packages above circulation (reports, activities, notices) may use of it. Nothing else of
``circulation`` is imported from there (import-linter checks this)."""

from circulation.models import Hold, Loan, Patron

__all__ = ["Hold", "Loan", "Patron"]
