"""Every error answers the same JSON shape, naming the field and the problem:

    {"status_code": 422, "detail": "...", "extra": [{"key": "cost_vnd", "message": "...", "code": "..."}]}

which is Litestar's own validation shape, so request-parsing errors and domain
errors read alike.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from pydantic import BaseModel

from procurement.core.errors import RULE_ERROR, DomainError, TooManyAttempts
from procurement.finance.rules import LimitExceeded, RuleViolation

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
    extra = [
        {
            "key": error.field,
            "message": error.message_vi,
            "code": "limit_exceeded",
            "limit": error.limit,
            "limit_vnd": error.limit_vnd,
            "requested_vnd": error.requested_vnd,
            "over_by_vnd": error.over_by_vnd,
        }
    ]
    return _answer(409, error.message_vi, extra)


def rule_violation_handler(_: Request, error: RuleViolation) -> Response:
    return _answer(422, error.message, [{"key": error.field, "message": error.message, "code": "rule_violation"}])


# Pydantic's and msgspec's (query parameters) messages, said in Vietnamese. Each rule
# matches a whole message, so no English tail is left behind; others pass through.
_TYPES_VI = {
    "int": "số nguyên",
    "float": "số",
    "number": "số",
    "str": "chuỗi ký tự",
    "bool": "true hoặc false",
    "array": "danh sách",
    "object": "đối tượng JSON",
    "date": "ngày (YYYY-MM-DD)",
    "datetime": "thời điểm (YYYY-MM-DDTHH:MM:SS)",
}
_COMPARE_VI = {">=": "lớn hơn hoặc bằng", "<=": "nhỏ hơn hoặc bằng", ">": "lớn hơn", "<": "nhỏ hơn"}


def _type_vi(match: re.Match) -> str:
    return "Sai kiểu: phải là " + _TYPES_VI.get(match["type"], match["type"]) + "."


def _choices_vi(match: re.Match) -> str:
    # A Literal of enum members is listed as <Status.disposed: 'disposed'>: only the value is said.
    choices = re.sub(r"<\w+\.\w+: ('[^']*')>", r"\1", match["choices"])
    return "Giá trị không hợp lệ; phải là " + choices.replace(" or ", " hoặc ") + "."


_MESSAGES_VI: list[tuple[str, Any]] = [
    (r"Field required", "Thiếu trường bắt buộc."),
    (r"Extra inputs are not permitted", "Trường không được phép."),
    (
        r"Input should be a valid integer, got a number with a fractional part",
        "Phải là số nguyên, không có phần thập phân.",
    ),
    (r"Input should be a valid integer.*", "Phải là số nguyên."),
    (r"Input should be a valid number.*", "Phải là số."),
    (r"Input should be a finite number", "Phải là số hữu hạn."),
    (r"Input should be greater than or equal to (.+)", r"Phải lớn hơn hoặc bằng \1."),
    (r"Input should be less than or equal to (.+)", r"Phải nhỏ hơn hoặc bằng \1."),
    (r"Input should be greater than (.+)", r"Phải lớn hơn \1."),
    (r"Input should be less than (.+)", r"Phải nhỏ hơn \1."),
    (r"Input should be a multiple of (.+)", r"Phải là bội số của \1."),
    (r"Datetimes provided to dates should have zero time.*", "Chỉ ghi ngày, không ghi giờ."),
    (r"Input should be a valid date.*", "Ngày không hợp lệ (dạng YYYY-MM-DD)."),
    (r"Input should be a valid datetime.*", "Thời điểm không hợp lệ (dạng YYYY-MM-DDTHH:MM:SS)."),
    (r"Input should be a valid boolean.*", "Phải là true hoặc false."),
    (r"Input should be a valid string", "Phải là chuỗi ký tự."),
    (r"Input should be a valid list", "Phải là một danh sách."),
    (r"Input should be a valid dictionary.*", "Phải là một đối tượng JSON."),
    (r"Input should be a valid UUID.*", "Mã UUID không hợp lệ."),
    (r"String should have at most (\d+) characters?", r"Quá dài: tối đa \1 ký tự."),
    (r"String should have at least (\d+) characters?", r"Quá ngắn: tối thiểu \1 ký tự."),
    (r"String should match pattern .*", "Không đúng định dạng."),
    (r"(?:List|Tuple|Set|Dictionary|Value) should have at least (\d+) items?.*", r"Cần ít nhất \1 phần tử."),
    (r"(?:List|Tuple|Set|Dictionary|Value) should have at most (\d+) items?.*", r"Nhiều nhất \1 phần tử."),
    (r"Input should be (?P<choices>.+)", _choices_vi),
    # msgspec, which parses query and path parameters
    (r"Expected `str` of length <= (\d+)", r"Quá dài: tối đa \1 ký tự."),
    (r"Expected `str` of length >= (\d+)", r"Quá ngắn: tối thiểu \1 ký tự."),
    (r"Expected `array` of length <= (\d+)", r"Nhiều nhất \1 phần tử."),
    (r"Expected `array` of length >= (\d+)", r"Cần ít nhất \1 phần tử."),
    (
        r"Expected `\w+(?: \| null)?` (?P<op>>=|<=|>|<) (?P<n>-?[\d.]+)",
        lambda m: f"Phải {_COMPARE_VI[m['op']]} {m['n']}.",
    ),
    (r"Expected `(?P<type>\w+)(?: \| null)?`, got `\w+`.*", _type_vi),
    (r"Invalid enum value (.+)", r"Giá trị không hợp lệ: \1."),
    (r"Object missing required field `(.+)`", r"Thiếu trường bắt buộc: \1."),
    (r"Object contains unknown field `(.+)`", r"Trường không được phép: \1."),
    (r"JSON is malformed.*", "Dữ liệu JSON không đọc được."),
    # a multipart field that should be a file came as text (no file name)
    (r"Unsupported type: <class 'str'>", "Phải là một tệp (gửi kèm tên tệp trong multipart/form-data)."),
]
_RULES_VI = [(re.compile(pattern, re.DOTALL), replacement) for pattern, replacement in _MESSAGES_VI]


def _vietnamese(message: str) -> str:
    message = message.removeprefix("Value error, ")
    for pattern, replacement in _RULES_VI:
        match = pattern.fullmatch(message)
        if match:
            return replacement(match) if callable(replacement) else match.expand(replacement)
    return message


_NAMED = re.compile(r"^([a-z_]+): (.+)$", re.S)


def _broken_rules(error: ValidationException) -> list[dict[str, Any]] | None:
    """The items of a refusal made only of domain rules checked inside an input model
    (:func:`procurement.core.errors.broken_rule`): the body had the documented shape, so it is a
    422, each item naming its field; None when any part of the body is malformed (400)."""
    causes = getattr(error.__cause__, "errors", None)
    if not causes or not all(isinstance(c, dict) and c.get("type") == RULE_ERROR for c in causes):
        return None
    items = []
    for cause in causes:
        key = ".".join(str(part) for part in cause.get("loc", ()))
        message = cause.get("msg", "")
        named = _NAMED.match(message)
        if named:
            key = f"{key}.{named.group(1)}" if key else named.group(1)
            message = named.group(2)
        items.append({"key": key or None, "message": message, "code": "rule_violation", "source": "body"})
    return items


def validation_error_handler(_: Request, error: ValidationException) -> Response:
    rules = _broken_rules(error)
    if rules:
        return _answer(422, rules[0]["message"], rules)
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


# Litestar's own answers (no route at this address, wrong method, ...) carry the
# English status phrase as their detail: say it in Vietnamese instead.
_STATUS_VI = {
    400: "Yêu cầu không hợp lệ.",
    401: "Cần đăng nhập.",
    403: "Bạn không có quyền làm việc này.",
    404: "Không tìm thấy địa chỉ này.",
    405: "Địa chỉ này không nhận kiểu yêu cầu đó.",
    406: "Không trả được dữ liệu theo kiểu yêu cầu.",
    413: "Tệp hoặc dữ liệu gửi lên quá lớn.",
    415: "Kiểu dữ liệu gửi lên không được hỗ trợ.",
    429: "Quá nhiều yêu cầu; thử lại sau.",
    500: "Lỗi máy chủ.",
    503: "Dịch vụ tạm thời không sẵn sàng.",
}


def detail_vi(error: HTTPException) -> str:
    """The error's own message, or a Vietnamese one where it is only the English status phrase."""
    try:
        phrase = HTTPStatus(error.status_code).phrase
    except ValueError:
        phrase = None
    if error.detail in (phrase, None, "") and error.status_code in _STATUS_VI:
        return _STATUS_VI[error.status_code]
    return _vietnamese(error.detail)


def http_error_handler(_: Request, error: HTTPException) -> Response:
    if error.status_code == 413:
        return _answer(
            413,
            "Tệp hoặc dữ liệu gửi lên quá lớn.",
            [{"key": "body", "message": "Tệp hoặc dữ liệu gửi lên quá lớn.", "code": "too_large"}],
        )
    return _answer(error.status_code, detail_vi(error), error.extra or None, getattr(error, "headers", None))


def undecodable_text_handler(_: Request, error: UnicodeDecodeError) -> Response:
    """A form field (not a file) of a multipart body that is not UTF-8: Litestar's multipart
    parser decodes every field that has no file name, before any handler runs."""
    return _answer(
        400,
        "Dữ liệu không hợp lệ.",
        [{"key": "body", "message": "Dữ liệu biểu mẫu không phải văn bản UTF-8.", "code": "invalid_encoding"}],
    )


def server_error_handler(request: Request, error: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return _answer(HTTP_500_INTERNAL_SERVER_ERROR, "Lỗi máy chủ.")


EXCEPTION_HANDLERS = {
    DomainError: domain_error_handler,
    LimitExceeded: limit_exceeded_handler,
    RuleViolation: rule_violation_handler,
    ValidationException: validation_error_handler,
    HTTPException: http_error_handler,
    UnicodeDecodeError: undecodable_text_handler,
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
    return {code: ResponseSpec(data_container=ErrorBody, description=descriptions[code]) for code in codes}
