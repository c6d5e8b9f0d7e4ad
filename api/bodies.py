"""JSON bodies are read with JSON's own types, as the API document states them.

Litestar hands a decoded body to pydantic in lax mode, which takes ``0`` and ``"yes"`` for a
boolean and ``"12"`` for an integer: values the document says are wrong would be stored as if they
were right. Bodies are validated here in pydantic's strict JSON mode instead: a boolean is ``true``
or ``false``, an integer is a number without a fractional part (``12`` or ``12.0``, not ``"12"``); dates, UUIDs and enumerations are still written as the
strings JSON has for them, and a field's own validators (amounts written ``15.000.000``, tags typed
with a dash) still run first.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from litestar._signature.types import ExtendedMsgSpecValidationError
from litestar.plugins.pydantic import PydanticInitPlugin
from pydantic import BaseModel, ValidationError


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _integral_as_int(value: Any) -> Any:
    """``12.0`` is the integer 12: JSON has one kind of number, and JSON Schema's ``integer`` is any
    number without a fractional part. (``12.5`` stays a float, refused where an integer is due.)"""
    stack = [value]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in items:
            if isinstance(child, float) and child.is_integer():
                node[key] = int(child)
            elif isinstance(child, (dict, list)):
                stack.append(child)
    return value


def _validate_as_json(model_type: type[BaseModel], value: Any) -> BaseModel:
    try:
        if isinstance(value, (dict, list)):
            text = json.dumps(_integral_as_int(value), ensure_ascii=False)
            return model_type.model_validate_json(text, strict=True)
        return model_type.model_validate(value)  # not from JSON (a form, a model already made)
    except ValidationError as error:
        hide_input = model_type.model_config.get("hide_input_in_errors", False)
        raise ExtendedMsgSpecValidationError(errors=list(error.errors(include_input=not hide_input))) from error


class JsonTypedBodies(PydanticInitPlugin):
    @classmethod
    def decoders(cls, validate_strict: bool = False) -> list[tuple[Callable[[Any], bool], Callable[[Any, Any], Any]]]:
        return [(_is_model, _validate_as_json)]
