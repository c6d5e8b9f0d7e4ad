"""OpenAPI details Litestar cannot infer: routes that answer in several formats; the security
schemes and the constraints Litestar drops (see :func:`complete_openapi`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, Schema
from pydantic import BaseModel

from procurement.core.xlsx import XLSX_MEDIA_TYPE as XLSX

__all__ = ["XLSX", "downloads"]
_FILE = Schema(type=OpenAPIType.STRING, format="binary")
_ROWS = Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.OBJECT))


def downloads(*media_types: str, json_rows: bool = False) -> type[Operation]:
    """An operation whose 200 answer may be any of ``media_types`` (chosen by a
    ``format`` parameter): JSON as an array of row objects, the rest as files."""

    @dataclass
    class DownloadOperation(Operation):
        def __post_init__(self) -> None:
            ok = (self.responses or {}).get("200")
            if ok is None:
                return
            content = {media_type: OpenAPIMediaType(schema=_FILE) for media_type in media_types}
            if json_rows:
                content = {"application/json": OpenAPIMediaType(schema=_ROWS), **content}
            ok.content = content

    return DownloadOperation


# --- completing what Litestar leaves out of the generated document ------------------------------

_CONSTRAINTS = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "pattern",
    "multipleOf",
    "enum",  # a choice a str field states with json_schema_extra (a label stock)
)
SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from POST /api/auth/login or POST /api/auth/tokens: `Authorization: Bearer <token>`.",
    },
}


def _models() -> dict[str, type[BaseModel]]:
    """Every pydantic model by class name; a name two models share is left out (ambiguous)."""
    found: dict[str, type[BaseModel]] = {}
    shared: set[str] = set()
    stack = list(BaseModel.__subclasses__())
    while stack:
        model = stack.pop()
        stack.extend(model.__subclasses__())
        name = model.__name__
        if name in found and found[name] is not model:
            shared.add(name)
        found[name] = model
    return {name: model for name, model in found.items() if name not in shared}


# Pydantic names a bound by its Field argument when a constrained type (VND) is narrowed again
# inside ``X | None`` (``PositiveVND | None``): the same bound in JSON Schema's words.
_FIELD_BOUNDS = {"ge": "minimum", "gt": "exclusiveMinimum", "le": "maximum", "lt": "exclusiveMaximum"}


def _bounds_of(node: dict[str, Any]) -> dict[str, Any]:
    out = {k: node[k] for k in _CONSTRAINTS if k in node}
    for field_word, schema_word in _FIELD_BOUNDS.items():
        if field_word in node and schema_word not in out:
            out[schema_word] = node[field_word]
    if "exclusiveMinimum" in out and "minimum" in out and out["minimum"] <= out["exclusiveMinimum"]:
        del out["minimum"]  # ge=0 and gt=0 together: gt says it
    return out


def _constraints(prop: dict[str, Any]) -> dict[str, Any]:
    """A pydantic property's constraints, also those inside ``anyOf`` (an optional field)."""
    out = _bounds_of(prop)
    for option in prop.get("anyOf", []):
        out.update({k: v for k, v in _bounds_of(option).items() if k not in out})
    return out


def _options(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node, *node.get("anyOf", []), *node.get("oneOf", [])]


def _place_named_format(prop: dict[str, Any], own: dict[str, Any]) -> None:
    """What pydantic states inside a field that Litestar leaves out: a string format (``asset-tag``)
    on the string node itself, where a generator reads it (not next to a ``oneOf``); the format and
    bounds of a list's items (``commune_codes``: 5 digits each)."""
    for kind in ("string", "array"):
        wanted = next((o for o in _options(own) if o.get("type") == kind), None)
        if wanted is None:
            continue
        if kind == "array":
            wanted = wanted.get("items", {})
            if "$ref" in wanted or wanted.get("type") not in ("string", "integer", "number"):
                continue
            extra = _bounds_of(wanted)
        else:
            extra = {}
        if wanted.get("format"):
            extra["format"] = wanted["format"]
        if not extra:
            continue
        for node in _options(prop):
            if node.get("type") == kind:
                target = node.get("items", {}) if kind == "array" else node
                if target.get("type") == wanted.get("type", "string"):
                    for key, value in extra.items():
                        target.setdefault(key, value)


def _is_map(prop: dict[str, Any]) -> bool:
    """A ``dict[K, V]`` field: pydantic says an object with ``additionalProperties`` (any key) or
    ``patternProperties`` (a key of a given shape)."""
    return any(
        o.get("type") == "object" and (isinstance(o.get("additionalProperties"), dict) or "patternProperties" in o)
        for o in [prop, *prop.get("anyOf", [])]
    )


def _map_value(value: dict[str, Any]) -> dict[str, Any]:
    return {**{k: value[k] for k in ("type", "description") if k in value}, **_bounds_of(value)}


def _map_schema(own: dict[str, Any], prop: dict[str, Any]) -> dict[str, Any]:
    """Pydantic's description of a dict field, its bounds in JSON Schema's words; keys that do not
    have the key type's shape are refused (``additionalProperties: false`` next to the pattern)."""
    options = []
    for option in own.get("anyOf", [own]):
        if option.get("type") != "object":
            options.append({"type": option.get("type", "null")})
            continue
        mapped = {k: v for k, v in option.items() if k not in ("title", "default", "description")}
        if isinstance(mapped.get("additionalProperties"), dict):
            mapped["additionalProperties"] = _map_value(mapped["additionalProperties"])
        if "patternProperties" in mapped:
            mapped["patternProperties"] = {k: _map_value(v) for k, v in mapped["patternProperties"].items()}
            mapped.setdefault("additionalProperties", False)
        options.append(mapped)
    described = {k: v for k, v in prop.items() if k == "description"}
    if len(options) == 1:
        return {**options[0], **described}
    return {"oneOf": options, **described}


def _has(prop: dict[str, Any], key: str) -> bool:
    return key in prop or any(key in option for option in prop.get("oneOf", []) + prop.get("anyOf", []))


# Litestar copies a parameter's ge/gt/le/lt/min_length only when truthy: a bound of 0 is lost.
_ZERO_BOUNDS = {
    "ge": "minimum",
    "gt": "exclusiveMinimum",
    "le": "maximum",
    "lt": "exclusiveMaximum",
    "min_length": "minLength",
}


def parameter_bounds(handlers: list[Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """``(operation path, parameter name) -> {openapi key: 0}`` for the zero bounds declared on the
    handlers' own parameters and on those of their dependencies."""
    bounds: dict[tuple[str, str], dict[str, Any]] = {}
    for path, handler in handlers:
        signatures = [handler.parsed_fn_signature]
        signatures += [
            provider.parsed_fn_signature
            for provider in handler.resolve_dependencies().values()
            if getattr(provider, "parsed_fn_signature", None) is not None
        ]
        for signature in signatures:
            for name, field in signature.parameters.items():
                kwarg = field.kwarg_definition
                if kwarg is None:
                    continue
                wanted = {key: 0 for attr, key in _ZERO_BOUNDS.items() if getattr(kwarg, attr, None) == 0}
                if wanted:
                    bounds[(path, getattr(kwarg, "query", None) or name)] = wanted
    return bounds


_UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
_CROSS_ORIGIN = "a write carried by the session cookie from another origin (api/csrf.py)"


def _document_answer(responses: dict[str, Any], status: str, title: str, reason: str) -> None:
    """Say that the operation may answer ``status`` for ``reason`` (an error body), next to what
    the operation already documents under that status."""
    known = responses.get(status)
    if known is None:
        responses[status] = {
            "description": f"{title}: {reason}",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
        }
    elif reason not in known.get("description", ""):
        known["description"] = f"{known.get('description', title)}; or {reason}"


_UNKNOWN_PARAMETER = "a query parameter the operation does not declare (api/query_guard.py)"


def complete_openapi(
    document: dict[str, Any],
    public: set[tuple[str, str]],
    zero_bounds: dict[tuple[str, str], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The generated document, completed where Litestar 2 loses what the code enforces: the Bearer
    scheme (public operations say ``security: []``); the 403 of the origin check on every unsafe
    operation; the 400 of an undeclared query parameter on every ``/api/`` operation; the 413 and 415
    of every operation that takes a body;
    ``additionalProperties: false`` for models that forbid extra fields; minimums of 0 and other constraints on optional fields, taken from
    pydantic's own schema of the same model."""
    components = document.setdefault("components", {})
    components["securitySchemes"] = SECURITY_SCHEMES
    document["security"] = [{"bearer": []}]
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue
            if (method.upper(), path) in public:
                operation["security"] = []
            responses = operation.setdefault("responses", {})
            if method.upper() in _UNSAFE:  # api/csrf.py refuses it before any handler runs
                _document_answer(responses, "403", "Forbidden", _CROSS_ORIGIN)
            for answer in responses.values():
                # Litestar's file answers say Last-Modified is an RFC 3339 date-time; it is an HTTP-date
                # ("Tue, 01 Dec 2026 22:44:27 GMT", RFC 9110), which JSON Schema has no format for.
                modified = (answer.get("headers") or {}).get("last-modified", {}).get("schema", {})
                if modified.get("format") == "date-time":
                    del modified["format"]
            if path.startswith("/api/"):  # api/query_guard.py: a query parameter the operation does not declare
                _document_answer(responses, "400", "Bad Request", _UNKNOWN_PARAMETER)
            if "requestBody" in operation and "400" in responses:  # api/input_guard.py: not application/json
                responses.setdefault("415", {**responses["400"], "description": "Unsupported Media Type"})
                # A body over MAX_BODY_BYTES (or an upload over its own limit): api/errors.py, code too_large.
                responses.setdefault("413", {**responses["400"], "description": "Request Entity Too Large"})
            for parameter in operation.get("parameters", []):
                for key, value in (zero_bounds or {}).get((path, parameter.get("name", "")), {}).items():
                    parameter.setdefault("schema", {}).setdefault(key, value)
    _no_null_in_forms(document)
    models = _models()
    for name, schema in components.get("schemas", {}).items():
        model = models.get(name) or models.get(schema.get("title", ""))
        if model is None or schema.get("type") != "object":
            continue
        if model.model_config.get("extra") == "forbid":
            schema["additionalProperties"] = False
        try:
            reference = model.model_json_schema(mode="validation")
        except Exception:  # a model pydantic cannot describe alone: leave Litestar's version
            continue
        properties = schema.get("properties", {})
        for field_name, prop in list(properties.items()):
            own = reference.get("properties", {}).get(field_name, {})
            if _is_map(own) and "$ref" not in str(own):
                # Litestar 2 describes a dict field loosely (dict[str, int] with a length bound as an
                # array; keys and values unbounded): pydantic's description is the truth.
                properties[field_name] = prop = _map_schema(own, prop)
                continue
            wanted = _constraints(own)
            _place_named_format(prop, own)
            for key, value in wanted.items():
                if not _has(prop, key):
                    prop[key] = value
    # After the models' own constraints: a pattern they state (a UUID, a tag) is kept as it is.
    _declare_storable_text(document)
    return document


def _no_null_in_forms(document: dict[str, Any]) -> None:
    """A part of a multipart form is sent or left out; it cannot be null. An optional field of a
    form model (``file: UploadFile | None``) is described as its one real type, so that a client (and
    the fuzzer) sends a file as a file part, with its name, not as text."""
    schemas = document.get("components", {}).get("schemas", {})
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            form = operation.get("requestBody", {}).get("content", {}).get("multipart/form-data", {})
            ref = form.get("schema", {}).get("$ref", "")
            schema = schemas.get(ref.rsplit("/", 1)[-1]) if ref else form.get("schema")
            for name, prop in (schema or {}).get("properties", {}).items():
                options = [o for o in prop.get("oneOf", []) if o.get("type") != "null"]
                if len(options) == 1 and len(prop["oneOf"]) == 2:
                    rest = {k: v for k, v in prop.items() if k != "oneOf"}
                    schema["properties"][name] = {**options[0], **rest}


# api/input_guard.py refuses a NUL in any text (PostgreSQL cannot store it, nobody types it): every
# free string of the document says so, so that a client (and the fuzzer) knows such a value is
# refused rather than valid. (A lone surrogate cannot be sent in UTF-8 at all; ECMA-262 patterns as
# read by Rust-based validators cannot name one.)
STORABLE_TEXT = "^[^\\u0000]*$"
_SHAPED = ("pattern", "format", "enum", "const")


def _declare_storable_text(node: Any) -> None:
    if isinstance(node, dict):
        kind = node.get("type")
        if (kind == "string" or (isinstance(kind, list) and "string" in kind)) and not any(
            key in node for key in _SHAPED
        ):
            node["pattern"] = STORABLE_TEXT
        for value in node.values():
            _declare_storable_text(value)
    elif isinstance(node, list):
        for value in node:
            _declare_storable_text(value)
