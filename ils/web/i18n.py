"""Interface text by key, one catalogue per locale (``locales/<locale>.yaml``).

Templates never hold words of their own: they ask for a key (``t("desk.checkin.title")``), so
the Chinese and English pages are the same template and a missing translation is a test
failure rather than a half-English page. Keys follow the glossary (patron, item, loan, hold,
transit, unit …).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

LOCALES = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"
# What the language switch shows for each locale, in that locale's own words.
LOCALE_NAMES = {"zh-CN": "中文", "en": "English"}


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{path}."))
        else:
            flat[path] = str(value)
    return flat


@lru_cache
def catalogue(locale: str) -> dict[str, str]:
    text = resources.files("ils.web").joinpath("locales", f"{locale}.yaml").read_text(encoding="utf-8")
    return _flatten(yaml.safe_load(text) or {})


def pick_locale(*candidates: str | None) -> str:
    """The first supported locale among the candidates (query, cookie, Accept-Language)."""
    for candidate in candidates:
        if not candidate:
            continue
        for part in candidate.split(","):
            tag = part.split(";")[0].strip()
            if tag in LOCALES:
                return tag
            if tag.lower().startswith("zh"):
                return "zh-CN"
            if tag.lower().startswith("en"):
                return "en"
    return DEFAULT_LOCALE


class Translator:
    """``t(key, **values)``: the text of ``key`` in this locale, with ``{values}`` filled in."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self._texts = catalogue(locale)
        self._fallback = catalogue(DEFAULT_LOCALE)

    def __call__(self, key: str, **values: Any) -> str:
        text = self._texts.get(key) or self._fallback.get(key)
        if text is None:
            # Visible but harmless: the key itself, which the catalogue test then reports.
            return key
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self._texts or key in self._fallback

    def error(self, code: str, detail: str | None = None, **values: Any) -> str:
        """A stable error or block code in words, with the values a block carries filled in
        (RENEW_TOO_EARLY's ``on``); the server's detail when the catalogue has no words for it
        yet, or the words need a value the block did not bring."""
        key = f"error.{code}"
        if not self.has(key):
            return detail or code
        text = self._texts.get(key) or self._fallback[key]
        try:
            return text.format(**{name: value for name, value in values.items() if value is not None})
        except (KeyError, IndexError):
            return detail or code
