"""The one form layer of the pages: a form is parsed into the same pydantic model as the
API, and every refusal (pydantic, domain or budget rule) becomes a Vietnamese message
beside its field in one way."""

from __future__ import annotations

import re

from pydantic import ValidationError

from api.errors import _vietnamese
from procurement.core.errors import DomainError
from procurement.finance.rules import LimitExceeded, RuleViolation

# What a refused form can raise: each becomes messages next to the fields.
FORM_ERRORS = (ValidationError, DomainError, RuleViolation, LimitExceeded)

# A model-level check names its field at the start of the message ("acquired_year: ...").
_NAMED = re.compile(r"^([a-z_]+): (.+)$", re.S)


def form_errors(error: Exception, default_field: str = "_") -> dict[str, str]:
    """Field -> Vietnamese message, from a pydantic, domain or budget-rule error.

    A message with no field of its own goes under ``default_field`` (the form's
    general message)."""
    if isinstance(error, ValidationError):
        found: dict[str, str] = {}
        for item in error.errors():
            name = str(item["loc"][0]) if item["loc"] else default_field
            message = _vietnamese(item["msg"])
            named = _NAMED.match(message)
            if named and (name == default_field or named.group(1) in ("acquired_year", "acquired_on")):
                name, message = named.groups()
            found.setdefault(name, message)
        return found
    if isinstance(error, LimitExceeded):  # a ceiling is about the amount asked for, in its field
        return {error.field: error.message_vi}
    if isinstance(error, RuleViolation):
        return {error.field: error.message}
    if isinstance(error, DomainError):
        return {error.field or default_field: error.message}
    raise error
