"""Request and response schemas (marshmallow), the single source of the OpenAPI document."""
