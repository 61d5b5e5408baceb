"""Body validation with pydantic, mapped to the 422 ``validation_error`` envelope."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from sparklytics.api.errors import unprocessable

ModelT = TypeVar("ModelT", bound=BaseModel)


def parse_model(model: type[ModelT], body: Any) -> ModelT:
    if not isinstance(body, dict):
        raise unprocessable("request body must be a JSON object")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        raise unprocessable(f"{field}: {first['msg']}" if field else first["msg"], field=field) from None
