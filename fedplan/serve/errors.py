"""The one error a request can cause: ``ApiError`` becomes a 4xx JSON ``{"error": message}``
naming the key at fault and what would fix it; nothing a browser sends reaches a traceback."""
from __future__ import annotations


class ApiError(Exception):
    """A bad request, answered with ``status`` and ``{"error": message}``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def bad(message: str) -> ApiError:
    return ApiError(400, message)


def not_found(message: str) -> ApiError:
    return ApiError(404, message)
