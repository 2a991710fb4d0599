"""Domain errors. Each carries a category; the API maps categories to HTTP status in one table."""

from __future__ import annotations

from enum import Enum


class Category(Enum):
    MALFORMED = "malformed"  # 400: a token the server issued comes back altered (a cursor)
    INVALID = "invalid"  # 422: the request is malformed or out of bounds
    UNAUTHORIZED = "unauthorized"  # 401
    FORBIDDEN = "forbidden"  # 403
    NOT_FOUND = "not_found"  # 404 (also for ids that belong to another party)
    CONFLICT = "conflict"  # 409: e.g. activation with open conflicts
    PRECONDITION = "precondition"  # 412: stale If-Match version
    PRECONDITION_REQUIRED = "precondition_required"  # 428: a versioned write without If-Match
    RATE = "rate"  # 429
    UNAVAILABLE = "unavailable"  # 503: the database cannot be reached now; retry later


class DomainError(Exception):
    """An error the caller can act on: a category, a stable code, a message and the field path."""

    category: Category = Category.INVALID

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.code = code
        self.message = message
        self.field = field


class InvalidVolume(DomainError):
    """A volume or operation that breaks the format or the configured bounds."""

    category = Category.INVALID


class NotFound(DomainError):
    category = Category.NOT_FOUND


class Conflicting(DomainError):
    category = Category.CONFLICT


class StaleVersion(DomainError):
    category = Category.PRECONDITION


class PreconditionRequired(DomainError):
    category = Category.PRECONDITION_REQUIRED


class Unauthorized(DomainError):
    category = Category.UNAUTHORIZED


class Forbidden(DomainError):
    category = Category.FORBIDDEN


class Malformed(DomainError):
    """Something only the server makes (a cursor) that it did not make, or not for this use."""

    category = Category.MALFORMED


class RateLimited(DomainError):
    """Over a limit: the caller may try again after `retry_after` seconds (`Retry-After`)."""

    category = Category.RATE

    def __init__(self, code: str, message: str, field: str | None, retry_after: float) -> None:
        super().__init__(code, message, field)
        self.retry_after = retry_after


class OverBudget(RateLimited):
    """A party that has spent its hourly budget of area x duration (429, `Retry-After`: the
    next hour)."""


class Unavailable(DomainError):
    """The service cannot reach its database now; the same request may succeed later."""

    category = Category.UNAVAILABLE
