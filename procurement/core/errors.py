"""Domain errors. The API maps them to 4xx answers naming the field and the problem."""

from __future__ import annotations

from pydantic_core import PydanticCustomError


class DomainError(Exception):
    status_code = 422

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class NotFound(DomainError):
    status_code = 404

    def __init__(self, message: str = "Không tìm thấy.", *, field: str | None = None):
        super().__init__(message, field=field, code="not_found")


class Forbidden(DomainError):
    status_code = 403

    def __init__(self, message: str = "Bạn không có quyền làm việc này.", *, field: str | None = None):
        super().__init__(message, field=field, code="forbidden")


class Conflict(DomainError):
    status_code = 409

    def __init__(self, message: str, *, field: str | None = None, code: str = "conflict"):
        super().__init__(message, field=field, code=code)


class Unauthorized(DomainError):
    status_code = 401

    def __init__(self, message: str = "Cần đăng nhập.", *, code: str = "unauthorized"):
        super().__init__(message, code=code)


class TooManyAttempts(DomainError):
    status_code = 429

    def __init__(self, message: str, retry_after_seconds: int):
        super().__init__(message, code="too_many_attempts")
        self.retry_after_seconds = retry_after_seconds


RULE_ERROR = "domain_rule"


def broken_rule(message: str) -> PydanticCustomError:
    """A rule of the domain that an input model checks across its fields or against the clock (two
    dates that disagree, two communes that must differ, a date in the future), raised inside a
    pydantic validator. The input has the shape the API document states, so the API answers 422
    (like every other broken rule of the domain), not 400; a page shows it next to the field like
    any validation error. The message may start with ``field: `` to name the field."""
    return PydanticCustomError(RULE_ERROR, message)
