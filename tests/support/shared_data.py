"""Where the project's shared test data lives, and what to do when it is missing.

The real MARC and metadata files sit in ``../shared/data`` beside the repository on
development machines and in CI. A user's clone does not have them: tests that need them
skip with a clear reason there, but fail under CI, where a silent skip would hide a
broken checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("ILS_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


def shared_path(*parts: str) -> Path:
    """Return a path under ../shared/data, skipping (or failing under CI) if absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        reason = f"shared test data not found: {path}"
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI is set, so this is an error, not a skip)")
        pytest.skip(reason)
    return path
