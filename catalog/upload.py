"""MARC uploads within ILS_MAX_UPLOAD_MB, refused before their body is read (see ``ils.upload``)
with 413 IMPORT_FILE_TOO_LARGE."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter

from ils import upload
from ils.errors import DomainError

F = TypeVar("F", bound=Callable[..., Any])


def too_large(limit_mb: int) -> DomainError:
    return DomainError(
        "IMPORT_FILE_TOO_LARGE",
        f"the upload is larger than {limit_mb} MB (ILS_MAX_UPLOAD_MB); split the file, "
        "or import it on the server with `ils import-marc`",
        http_status=413,
    )


def post(router: APIRouter, path: str, **options: Any) -> Callable[[F], F]:
    """Like ``@router.post(path, ...)``, for a route that takes a MARC upload."""
    return upload.post(router, path, too_large, **options)
