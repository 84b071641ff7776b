"""The OpenAPI document agrees with API.md for the console and courier calls."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.one_database  # roles and documents, not data

PROTECTED = [
    ("post", "/api/v1/console/staff"),
    ("post", "/api/v1/console/compounds"),
    ("get", "/api/v1/console/compounds"),
    ("post", "/api/v1/console/couriers"),
    ("post", "/api/v1/console/couriers/{courier_id}/rotate-code"),
    ("get", "/api/v1/console/couriers/{courier_id}/badge.png"),
    ("post", "/api/v1/console/products"),
    ("post", "/api/v1/console/deals"),
    ("post", "/api/v1/console/coupon-templates"),
    ("get", "/api/v1/courier/me"),
    ("get", "/api/v1/courier/badge.png"),
]
SIGN_INS = [("post", "/api/v1/console/auth"), ("post", "/api/v1/courier/auth")]
CREATES = {
    "/api/v1/console/compounds": ("CompoundIn", {"name", "city", "lat", "lng", "radius_m"}),
    "/api/v1/console/couriers": ("CourierIn", {"employee_no", "name", "password", "compound_ids"}),
    "/api/v1/console/products": ("ProductIn", {"name", "category", "price_fen"}),
    # compound_ids: required unless `"target": "price_sensitive"` names the compounds (README, clearance)
    "/api/v1/console/deals": ("DealIn", {"product_id", "deal_price_fen", "kind"}),
    "/api/v1/console/coupon-templates": ("CouponTemplateIn", {
        "title", "discount_fen", "threshold_fen", "total", "per_shopper_limit", "compound_ids",
        "valid_from", "valid_until"}),
}


@pytest.fixture
def document(client):
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    return answer.get_json()


def operation(document, method, path):
    assert path in document["paths"], f"{path} is missing from the OpenAPI document"
    assert method in document["paths"][path], f"{method.upper()} {path} is not documented"
    return document["paths"][path][method]


def test_bearer_scheme_is_declared(document):
    assert document["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}


@pytest.mark.parametrize("method, path", PROTECTED)
def test_protected_call_is_listed_with_bearer_security(document, method, path):
    assert operation(document, method, path)["security"] == [{"bearerAuth": []}]


@pytest.mark.parametrize("method, path", SIGN_INS)
def test_sign_in_is_listed_without_security(document, method, path):
    op = operation(document, method, path)
    assert not op.get("security")
    assert "200" in op["responses"] and "requestBody" in op


@pytest.mark.parametrize("path", sorted(CREATES))
def test_create_call_documents_its_body_and_a_201(document, path):
    schema_name, required = CREATES[path]
    op = operation(document, "post", path)
    assert "201" in op["responses"]
    body = op["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": f"#/components/schemas/{schema_name}"}
    assert set(document["components"]["schemas"][schema_name]["required"]) == required


@pytest.mark.parametrize("path", ["/api/v1/console/couriers/{courier_id}/badge.png",
                                  "/api/v1/courier/badge.png"])
def test_badges_are_documented_as_png(document, path):
    assert "image/png" in operation(document, "get", path)["responses"]["200"]["content"]


def test_error_shape_is_documented(document):
    inner = document["components"]["schemas"]["ErrorBody"]
    assert inner["required"] == ["error"]
    assert "$ref" in inner["properties"]["error"] or "properties" in inner["properties"]["error"]
