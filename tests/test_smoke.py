import pytest


@pytest.mark.one_database
def test_openapi_document_is_served(client):
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    assert "/api/v1/auth/wechat" in answer.get_json()["paths"]
