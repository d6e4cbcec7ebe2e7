"""The HTTP request and response bodies of ``/predict``.

Fields accept the shot-logs names (SHOT_DIST) or their snake_case forms
(shot_dist). The ranges are at least as strict as ``ingest.validation``'s, so
every request that validates can be scored; a bad one gets a 400 naming the
field and rule.
"""

from __future__ import annotations

from typing import Any, Literal

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
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from shot_platform.shots.ingest.validation import GAME_CLOCK_PATTERN, MAX_PERIOD, clock_seconds, period_seconds
from shot_platform.shots.schema import COURT_LENGTH_FT, SHOT_CLOCK_S

MAX_ID = 2**63 - 1  # the store's BIGINT
MAX_SHOT_NUMBER = 2**31 - 1  # the store's INTEGER


def _field(name: str, **rules):
    return Field(validation_alias=AliasChoices(name, name.lower()), serialization_alias=name.lower(), **rules)


class ShotRequest(BaseModel):
    """One field-goal attempt's context. Outcome fields, if sent, are ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, str_strip_whitespace=True)

    SHOT_DIST: float = _field("SHOT_DIST", ge=0, le=COURT_LENGTH_FT, allow_inf_nan=False, description="feet")
    CLOSE_DEF_DIST: float = _field("CLOSE_DEF_DIST", ge=0, le=COURT_LENGTH_FT, allow_inf_nan=False)
    SHOT_CLOCK: float | None = _field("SHOT_CLOCK", default=None, ge=0, le=SHOT_CLOCK_S, allow_inf_nan=False)
    DRIBBLES: int = _field("DRIBBLES", ge=0, le=200)
    TOUCH_TIME: float = _field(
        "TOUCH_TIME", ge=-200, le=200, allow_inf_nan=False, description="seconds; negative is cleaned to 0"
    )
    PERIOD: int = _field("PERIOD", ge=1, le=MAX_PERIOD, description="5 and up are overtimes")
    GAME_CLOCK: str = _field("GAME_CLOCK", pattern=GAME_CLOCK_PATTERN, description="M:SS left in the period")
    PTS_TYPE: Literal[2, 3] = _field("PTS_TYPE")
    LOCATION: Literal["H", "A"] = _field("LOCATION")
    player_id: int = _field("player_id", ge=0, le=MAX_ID)
    CLOSEST_DEFENDER_PLAYER_ID: int = _field("CLOSEST_DEFENDER_PLAYER_ID", ge=0, le=MAX_ID)
    GAME_ID: int | None = _field(
        "GAME_ID", default=None, ge=0, le=MAX_ID, description="optional: joins ground truth later"
    )
    SHOT_NUMBER: int | None = _field("SHOT_NUMBER", default=None, ge=1, le=MAX_SHOT_NUMBER)

    @field_validator("GAME_CLOCK")
    @classmethod
    def _clock_fits_period(cls, clock: str, info: ValidationInfo) -> str:
        period = info.data.get("PERIOD", 1)
        length = period_seconds(period)
        if not clock_seconds(clock) <= length:  # NaN (seconds >= 60) fails too
            raise ValueError(f"{clock} does not fit period {period}, which is {length // 60}:00 long")
        return clock


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


_TEXT_FIELDS = {"GAME_CLOCK", "LOCATION"}
_INTEGER_FIELDS = {"DRIBBLES", "PERIOD", "PTS_TYPE", "player_id", "CLOSEST_DEFENDER_PLAYER_ID"}


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
