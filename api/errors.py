"""Every error answers the same JSON shape, naming the field and the problem:

    {"status_code": 422, "detail": "...", "extra": [{"key": "cost_vnd", "message": "...", "code": "..."}]}

which is Litestar's own validation shape, so request-parsing errors and domain
errors read alike.
"""

from __future__ import annotations

import logging

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from pydantic import BaseModel

from procurement.errors import DomainError, TooManyAttempts
from procurement.rules import LimitExceeded, RuleViolation

log = logging.getLogger("api")


class ErrorItem(BaseModel):
    key: str | None = None
    message: str
    code: str | None = None
    source: str | None = None
    # A ceiling that would be broken (409): which one, what is left, what was asked, by how much over.
    limit: str | None = None
    limit_vnd: int | None = None
    requested_vnd: int | None = None
    over_by_vnd: int | None = None


class ErrorBody(BaseModel):
    status_code: int
    detail: str
    extra: list[ErrorItem] | dict | None = None


def _answer(status: int, detail: str, extra=None, headers=None) -> Response:
    body = {"status_code": status, "detail": detail}
    if extra is not None:
        body["extra"] = extra
    return Response(body, status_code=status, media_type=MediaType.JSON, headers=headers)


def domain_error_handler(_: Request, error: DomainError) -> Response:
    # An error may carry one item per problem (e.g. each wrong row of an imported sheet).
    extra = getattr(error, "items", None) or [{"key": error.field, "message": error.message, "code": error.code}]
    headers = None
    if isinstance(error, TooManyAttempts):
        headers = {"Retry-After": str(error.retry_after_seconds)}
    return _answer(error.status_code, error.message, extra, headers)


def limit_exceeded_handler(_: Request, error: LimitExceeded) -> Response:
    extra = [{
        "key": "amount_vnd", "message": error.message_vi, "code": "limit_exceeded", "limit": error.limit,
        "limit_vnd": error.limit_vnd, "requested_vnd": error.requested_vnd, "over_by_vnd": error.over_by_vnd,
    }]
    return _answer(409, error.message_vi, extra)


def rule_violation_handler(_: Request, error: RuleViolation) -> Response:
    return _answer(422, error.message, [{"key": error.field, "message": error.message, "code": "rule_violation"}])


# Pydantic's commonest messages, said in Vietnamese (the rest pass through).
_MESSAGES_VI = [
    ("Field required", "Thiếu trường bắt buộc."),
    ("Input should be a valid integer", "Phải là số nguyên."),
    ("Input should be greater than or equal to", "Phải lớn hơn hoặc bằng"),
    ("Input should be less than or equal to", "Phải nhỏ hơn hoặc bằng"),
    ("Input should be greater than", "Phải lớn hơn"),
    ("Input should be a valid date", "Ngày không hợp lệ (dạng YYYY-MM-DD)."),
    ("Input should be a valid boolean", "Phải là true hoặc false."),
    ("Input should be a valid string", "Phải là chuỗi ký tự."),
    ("String should have at most", "Quá dài: tối đa"),
    ("String should have at least", "Quá ngắn: tối thiểu"),
    ("Extra inputs are not permitted", "Trường không được phép."),
    ("Input should be", "Giá trị không hợp lệ; phải là"),
]


def _vietnamese(message: str) -> str:
    message = message.removeprefix("Value error, ")
    for english, vietnamese in _MESSAGES_VI:
        if message.startswith(english):
            return vietnamese + message[len(english):].replace(" characters", " ký tự")
    return message


def validation_error_handler(_: Request, error: ValidationException) -> Response:
    extra = error.extra if isinstance(error.extra, list) else []
    items = [
        {
            "key": item.get("key"),
            "message": _vietnamese(item.get("message", "")),
            "code": "invalid",
            "source": item.get("source") or "body",
        }
        if isinstance(item, dict)
        else {"message": str(item), "code": "invalid"}
        for item in extra
    ]
    return _answer(400, "Dữ liệu không hợp lệ.", items)


def http_error_handler(_: Request, error: HTTPException) -> Response:
    if error.status_code == 413:
        return _answer(413, "Tệp hoặc dữ liệu gửi lên quá lớn.", [{"key": "body", "message": "Tệp hoặc dữ liệu gửi lên quá lớn.", "code": "too_large"}])
    return _answer(error.status_code, error.detail, error.extra or None, getattr(error, "headers", None))


def server_error_handler(request: Request, error: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return _answer(HTTP_500_INTERNAL_SERVER_ERROR, "Lỗi máy chủ.")


EXCEPTION_HANDLERS = {
    DomainError: domain_error_handler,
    LimitExceeded: limit_exceeded_handler,
    RuleViolation: rule_violation_handler,
    ValidationException: validation_error_handler,
    HTTPException: http_error_handler,
    Exception: server_error_handler,
}


def error_responses(*codes: int) -> dict[int, ResponseSpec]:
    descriptions = {
        400: "Malformed request: a field has the wrong type or range",
        401: "Not logged in, or the token expired",
        403: "The role may not do this",
        404: "Not found (or outside the user's commune)",
        409: "Conflicts with the current state",
        413: "Body too large",
        422: "Breaks a rule of the domain",
        429: "Too many failed log-ins",
    }
    return {
        code: ResponseSpec(data_container=ErrorBody, description=descriptions[code]) for code in codes
    }
