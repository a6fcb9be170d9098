from __future__ import annotations

from typing import Any

import pytest

from tests.support.entries import seed_activity_types


@pytest.fixture
def activity_types(db: Any) -> None:
    seed_activity_types(db)
