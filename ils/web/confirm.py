"""Destructive buttons ask first (cancel a hold, expire the hold shelf, disable or remove a
self-check machine).

A form that does something hard to undo carries ``data-confirm="question"``; static/ils.js asks
the question in the browser and, on yes, sends ``confirm=yes`` with the form. A form that arrives
without it (no JavaScript, or a page from before) is answered with a page asking the same
question, whose button sends the form again with ``confirm=yes``. So the pages need no inline
script (the Content-Security-Policy allows none), and nothing is skipped without JavaScript.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form
from fastapi.responses import HTMLResponse

from ils.web.pages import View, render

YES = "yes"
Confirm = Annotated[str, Form()]


def confirmed(answer: str) -> bool:
    return answer == YES


def ask(view: View, *, area: str, action: str, question: str, back: str,
        fields: dict[str, str] | None = None) -> HTMLResponse:
    """The page asking ``question`` before ``action`` is posted (with ``fields``) again."""
    layout = {"desk": "desk/layout.html", "opac": "opac/layout.html"}.get(area, "base.html")
    return render(view, "confirm.html", area=area, layout=layout, action=action, question=question,
                  fields=fields or {}, back=back)
