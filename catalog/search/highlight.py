"""Marking what matched in a title, the same way for every backend."""

from __future__ import annotations

import html

from catalog.search.analysis import AnalysedQuery, fold


def highlight(title: str, query: AnalysedQuery) -> str:
    """The title, HTML-escaped, with the parts the query's text terms matched in <em>…</em>.

    Matching runs on the folded title character by character, so 紅樓夢 is marked for the
    query 红楼梦 while the reader still sees the title as catalogued.
    """
    folded = [fold(c) or " " for c in title]
    flat = "".join(c[0] for c in folded)  # folding keeps one character per character here
    marked = [False] * len(title)
    for term in (*query.text, *query.ranking):
        start = flat.find(term)
        while start >= 0 and term:
            for i in range(start, min(start + len(term), len(title))):
                marked[i] = True
            start = flat.find(term, start + 1)
    out: list[str] = []
    open_ = False
    for char, hit in zip(title, marked):
        if hit and not open_:
            out.append("<em>")
        elif not hit and open_:
            out.append("</em>")
        open_ = hit
        out.append(html.escape(char))
    if open_:
        out.append("</em>")
    return "".join(out)
