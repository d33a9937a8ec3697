"""The OpenAPI document says what the API really answers.

FastAPI documents request validation errors in its own shape (`loc`, `msg`); ours answer every
4xx and 503 as `ErrorBody` (api/errors.py), so the document points its validation-error schema
there. Errors are JSON on the HTML pages too (unsubscribe, report), where FastAPI would document
them in the page's media type. The schema fuzzing test (tests/test_api_schema.py) holds every
answer to this document.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi


def document_errors(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            schemas["HTTPValidationError"] = {"$ref": "#/components/schemas/ErrorBody"}
            schemas.pop("ValidationError", None)
            for operations in document["paths"].values():
                for operation in operations.values():
                    for code, response in operation.get("responses", {}).items():
                        content = response.get("content", {})
                        if int(code) >= 400 and "text/html" in content:
                            content["application/json"] = content.pop("text/html")
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to replace the schema builder
