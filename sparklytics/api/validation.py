"""Body validation with pydantic, mapped to the 422 ``validation_error`` envelope."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from sparklytics.api.errors import ApiError, unprocessable

ModelT = TypeVar("ModelT", bound=BaseModel)


def parse_model(model: type[ModelT], body: Any) -> ModelT:
    if not isinstance(body, dict):
        raise unprocessable("request body must be a JSON object")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise validation_failure(exc) from None


def validation_failure(exc: ValidationError, *, skip: int = 0) -> ApiError:
    """The 422 for the first problem pydantic found; ``skip`` drops leading location
    parts (the list index when a list of objects was validated)."""
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"][skip:]) or None
    return unprocessable(f"{field}: {first['msg']}" if field else first["msg"], field=field)
