"""The HTTP request and response bodies of ``/predict``.

Fields accept the shot-logs names (SHOT_DIST) or their snake_case forms
(shot_dist). Every field's type, bounds and pattern come from the rule
declaration in ``shot_platform.shots.rules`` (the same rules as file ingest and
the stored-data check), so every request that validates can be scored; a bad one
gets a 400 naming the field and the rule.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    RootModel,
    ValidationError,
    create_model,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from shot_platform.core.request_fields import request_field, row_rule_validators
from shot_platform.shots.rules import REQUEST_COLUMNS, REQUEST_RULES


class _ShotRequestBase(BaseModel):
    # Text is taken as sent (no stripping), as a file's text is: the same value passes or
    # fails in both.
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


def _request_field(name: str) -> tuple[Any, Any]:
    return request_field(
        REQUEST_RULES[name], validation_alias=AliasChoices(name, name.lower()), serialization_alias=name.lower()
    )


# One field per request column, with the type, bounds and pattern of its rule in
# shots/rules.py; the row rules (a clock that fits its period) as field validators.
ShotRequest = create_model(
    "ShotRequest",
    __base__=_ShotRequestBase,
    __doc__="One field-goal attempt's context. Outcome fields, if sent, are ignored.",
    __validators__=row_rule_validators(REQUEST_RULES, list(REQUEST_COLUMNS)),
    **{name: _request_field(name) for name in REQUEST_COLUMNS},
)


MAX_SHOTS_PER_REQUEST = 10_000


def _without_list_index(detail: dict) -> InitErrorDetails:
    """An error of the one-item list a single object became, located at the object itself."""
    error_type = detail["type"]
    if error_type == "value_error":  # custom messages must be re-raised as custom errors
        error_type = PydanticCustomError("value_error", detail["msg"].removeprefix("Value error, "))
    return InitErrorDetails(
        type=error_type, loc=tuple(detail["loc"][1:]), input=detail["input"], ctx=detail.get("ctx", {})
    )


class ShotsInput(RootModel[list[ShotRequest]]):
    """The body of /predict: one shot object, or a list of 1 to 10,000 of them.

    A single object is validated as a list of one, and its errors name the
    field alone (``["SHOT_DIST"]``), a list's errors the index and field.
    """

    root: list[ShotRequest] = Field(min_length=1, max_length=MAX_SHOTS_PER_REQUEST)
    _single: bool = PrivateAttr(default=False)

    @model_validator(mode="wrap")
    @classmethod
    def _one_or_many(cls, value: Any, handler: ModelWrapValidatorHandler) -> ShotsInput:
        single = isinstance(value, dict)
        if isinstance(value, list) and len(value) > MAX_SHOTS_PER_REQUEST:
            # Refused before any shot is validated (about 50 µs each, on the event loop).
            too_long = InitErrorDetails(
                type="too_long",
                loc=(),
                input=[],
                ctx={"field_type": "List", "max_length": MAX_SHOTS_PER_REQUEST, "actual_length": len(value)},
            )
            raise ValidationError.from_exception_data(cls.__name__, [too_long])
        try:
            model = handler([value] if single else value)
        except ValidationError as error:
            if not single:
                raise
            errors = [_without_list_index(detail) for detail in error.errors()]
            raise ValidationError.from_exception_data(error.title, errors) from None
        model._single = single
        return model

    @property
    def single(self) -> bool:
        return self._single


class Prediction(BaseModel):
    make_probability: float
    model_version: str


class BatchPrediction(BaseModel):
    model_version: str
    predictions: list[Prediction]


REQUEST_FIELDS: tuple[str, ...] = tuple(ShotRequest.model_fields)


_TEXT_FIELDS = {name for name in REQUEST_COLUMNS if REQUEST_RULES[name].textual}
_INTEGER_FIELDS = {name for name in REQUEST_COLUMNS if REQUEST_RULES[name].integral}


def requests_columns(shots: list[ShotRequest]) -> dict[str, np.ndarray]:
    """Validated requests as shot-logs columns (Kaggle names), the input of the cleaning and
    feature code; a dict of arrays, since a DataFrame costs more than scoring one shot."""
    return {
        name: np.array(
            [getattr(shot, name) for shot in shots],
            dtype=object if name in _TEXT_FIELDS else np.int64 if name in _INTEGER_FIELDS else float,
        )
        for name in REQUEST_FIELDS
        if name not in ("GAME_ID", "SHOT_NUMBER")
    }
