"""Refusals in words that name what was refused."""

from __future__ import annotations

from sqlalchemy.orm import Session

from catalog.public import get_item, record_title
from ils.errors import DomainError
from ils.web.pages import View


def renew_refused(view: View, session: Session, barcode: str, exc: DomainError) -> None:
    """A renewal refused: which book (title and barcode), then every block in words. A reader
    renewing three books must see which one could not be renewed, and why."""
    heading = None
    if exc.blocks:
        try:
            item = get_item(session, barcode)
        except DomainError:
            pass
        else:
            heading = view.t("loan.renew_refused", title=record_title(session, item.record_id), barcode=barcode)
    view.error(exc, heading=heading)
