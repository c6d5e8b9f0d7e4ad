"""JSON bodies are read with JSON's types, as the API document states them (api/bodies.py):
pydantic's lax mode would take 0 or "yes" for a boolean and "12" for an integer."""

from __future__ import annotations

import pytest

from models.tables import Commune
from tests.app.conftest import AN_VIEN


@pytest.mark.parametrize("wrong", [0, 1, "true", "yes", "1"])
async def test_a_boolean_is_true_or_false(client, users, wrong):
    admin = await users.make("admin")
    answer = await client.patch(f"/api/communes/{AN_VIEN}", json={"remote": wrong}, headers=admin)
    assert answer.status_code == 400, answer.text
    assert answer.json()["extra"][0]["key"] == "remote"
    assert (await Commune.select(Commune.remote).where(Commune.code == AN_VIEN).first())["remote"] is False
    right = await client.patch(f"/api/communes/{AN_VIEN}", json={"remote": True}, headers=admin)
    assert right.status_code == 200 and right.json()["remote"] is True


@pytest.mark.parametrize("wrong", ["12", 12.5, True])
async def test_an_integer_is_a_number_without_fraction(client, users, wrong):
    admin = await users.make("admin")
    answer = await client.patch(f"/api/communes/{AN_VIEN}", json={"officials": wrong}, headers=admin)
    assert answer.status_code == 400, answer.text
    assert answer.json()["extra"][0]["key"] == "officials"
    right = await client.patch(f"/api/communes/{AN_VIEN}", json={"officials": 12}, headers=admin)
    assert right.status_code == 200 and right.json()["officials"] == 12
    # JSON Schema's integer is any number without a fraction: 13.0 is 13 (money too).
    same = await client.patch(f"/api/communes/{AN_VIEN}", json={"officials": 13.0}, headers=admin)
    assert same.status_code == 200 and same.json()["officials"] == 13


async def test_dates_and_enumerations_are_still_written_as_strings(client, users):
    from tests.app.conftest import asset_payload

    admin = await users.make("admin")
    answer = await client.post(
        "/api/assets", json=asset_payload(acquired_on="2020-05-01", condition="good", status="in_use"), headers=admin
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["acquired_on"] == "2020-05-01" and answer.json()["condition"] == "good"


async def test_a_rule_between_fields_is_a_422_naming_the_field(client, users):
    """A body with the documented shape that breaks a rule of the domain checked across its fields
    (procurement.core.errors.broken_rule) is a 422, like every broken rule, not a 400."""
    admin = await users.make("admin")
    same = await client.post(
        "/api/transfers",
        json={
            "decision_number": "12/QĐ",
            "decision_date": "2025-07-01",
            "from_commune": AN_VIEN,
            "to_commune": AN_VIEN,
            "all_devices": True,
        },
        headers=admin,
    )
    assert same.status_code == 422, same.text
    assert same.json()["extra"] == [
        {"key": "to_commune", "message": "Xã nhận phải khác xã giao.", "code": "rule_violation", "source": "body"}
    ]
    # A malformed field next to the broken rule: the body is malformed, 400.
    both = await client.post(
        "/api/transfers",
        json={
            "decision_number": "12/QĐ",
            "decision_date": "not a date",
            "from_commune": AN_VIEN,
            "to_commune": AN_VIEN,
            "all_devices": True,
        },
        headers=admin,
    )
    assert both.status_code == 400, both.text


async def test_the_document_states_what_the_code_enforces(client):
    """What the fuzzer found stated wrongly or not at all in the OpenAPI document (api/openapi.py)."""
    doc = (await client.get("/schema/openapi.json")).json()
    schemas = doc["components"]["schemas"]
    # An optional amount narrowed to > 0 (PositiveVND | None) keeps its bound.
    for model, field in (("ContractCreate", "value_vnd"), ("AmendmentCreate", "new_value_vnd")):
        assert schemas[model]["properties"][field]["exclusiveMinimum"] == 0, model
    # dict fields are objects, keys and values bounded as in the model.
    prices = schemas["PlanRequest"]["properties"]["unit_prices"]
    assert prices["type"] == "object" and prices["maxProperties"] == 20
    assert prices["additionalProperties"]["minimum"] == 0
    weights = next(o for o in schemas["AllocationSplit"]["properties"]["weights"]["oneOf"] if o["type"] == "object")
    assert list(weights["patternProperties"]) == ["^\\d{5}$"] and weights["additionalProperties"] is False
    # Choices: a disposal's ground and method, the label stocks; tags name their format.
    for model, field in (("DisposalRequestIn", "ground"), ("DisposalExecutionIn", "method")):
        choice = schemas[model]["properties"][field]
        choice = schemas[choice["$ref"].rsplit("/", 1)[-1]] if "$ref" in choice else choice
        assert len(choice["enum"]) >= 2, (model, choice)
    assert "a4-3x8" in schemas["LabelSelection"]["properties"]["stock"]["enum"]
    assert {"type": "string", "format": "asset-tag"} in schemas["AssetCreate"]["properties"]["tag"]["oneOf"]
    # A part of a multipart form is a file or absent, never null.
    assert schemas["PhotoForm"]["properties"]["file"]["format"] == "binary"
    # Every JSON API operation may answer 400 to an undeclared query parameter.
    assert "400" in doc["paths"]["/api/health"]["get"]["responses"]
    assert "query parameter" in doc["paths"]["/api/auth/me"]["get"]["responses"]["400"]["description"]
