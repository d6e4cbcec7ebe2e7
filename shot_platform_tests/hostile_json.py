"""Hostile JSON request bodies for the service's property tests (hypothesis strategies).

Nesting thousands of levels deep, integers of hundreds or thousands of digits, floats out of
range, NaN, strings, nulls, wrong types, unicode (lone surrogates included), duplicate keys, bytes
that are not UTF-8: alone, or as one part of an otherwise valid request of each route.
"""

from __future__ import annotations

import json

from hypothesis import strategies as st

from shot_platform.free_throws.inputs import INPUT_NAMES
from shot_platform_tests.saved_models import VALID_INSTANCE

SHOT = {
    "SHOT_DIST": 12.5, "CLOSE_DEF_DIST": 3.1, "SHOT_CLOCK": 10.0, "DRIBBLES": 2, "TOUCH_TIME": 2.1, "PERIOD": 1,
    "GAME_CLOCK": "5:12", "PTS_TYPE": 2, "LOCATION": "H", "player_id": 201289, "CLOSEST_DEFENDER_PLAYER_ID": 202667,
}  # fmt: skip


HUGE = st.integers(min_value=-(10**400), max_value=10**400) | st.sampled_from([2**63, -(2**63) - 1, 2**64, 10**400])
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=20)  # lone surrogates too
SCALARS = st.none() | st.booleans() | HUGE | st.floats() | ANY_TEXT
KEYS = st.sampled_from([*INPUT_NAMES, *SHOT, "instances", "inputs", "signature_name", "players", "b64"]) | ANY_TEXT
VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4), max_leaves=20
)


def dumps(value: object) -> bytes:
    # Lone surrogates become UTF-8 the service must refuse ("surrogatepass" writes them as they are).
    return json.dumps(value, ensure_ascii=False, allow_nan=True).encode("utf-8", "surrogatepass")


@st.composite
def deep(draw: st.DrawFn) -> bytes:
    """A value nested 1 to 20,000 levels deep, as lists or objects, closed or not."""
    depth = draw(st.integers(1, 20_000))
    opener, closer = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}"), (b'{"made":[', b"]}")]))
    tail = closer * depth if draw(st.booleans()) else b""
    return opener * depth + b"1" + tail


@st.composite
def number_literal(draw: st.DrawFn) -> bytes:
    """Numbers as text, beyond what json.dumps writes: thousands of digits, huge exponents."""
    digits = draw(st.integers(1, 5_000))
    return draw(
        st.sampled_from(
            [
                b"9" * digits,
                b"-" + b"9" * digits,
                b"1e" + str(digits * 100).encode(),
                b"-1e-" + str(digits * 100).encode(),
                b"0." + b"0" * digits + b"1",
                b"1" * digits + b".5",
            ]
        )
    )


def raw(value: object) -> bytes:
    return value if isinstance(value, bytes) else dumps(value)


MEDIA = st.sampled_from(
    [
        "application/json",
        "application/json; charset=latin-1",
        "text/plain",
        "",
        "multipart/form-data; boundary=x",
        "multipart/form-data",
        "application/x-www-form-urlencoded",
        "application/vnd.bentoml+pickle",
        "image/png",
    ]
)
HOSTILE = VALUES.map(dumps) | deep() | number_literal() | st.binary(max_size=64)
PIECE = VALUES | deep() | number_literal()  # a hostile part inside an otherwise valid body


@st.composite
def tf_body(draw: st.DrawFn) -> bytes:
    piece = raw(draw(PIECE))
    name = draw(st.sampled_from(INPUT_NAMES)).encode()
    instance = dumps(VALID_INSTANCE)[:-1] + b', "' + name + b'": ' + piece + b"}"  # a duplicate key, last wins
    count = draw(st.integers(1, 6))
    columns = b",".join(b'"%s": [%s]' % (n.encode(), b",".join([b"1"] * count)) for n in INPUT_NAMES)
    return draw(
        st.sampled_from(
            [
                raw(draw(HOSTILE)),
                b'{"instances": [' + b",".join([instance] * count) + b"]}",
                b'{"instances": [' + piece + b"]}",
                b'{"instances": ' + piece + b"}",
                b'{"inputs": {' + columns + b', "' + name + b'": ' + piece + b"}}",
                b'{"inputs": ' + piece + b"}",
                b'{"signature_name": ' + piece + b', "instances": [' + dumps(VALID_INSTANCE) + b"]}",
                b'{"instances": [' + dumps(VALID_INSTANCE) + b'], "instances": ' + piece + b"}",
            ]
        )
    )


@st.composite
def shot_body(draw: st.DrawFn) -> bytes:
    piece = raw(draw(PIECE))
    field = draw(st.sampled_from(list(SHOT))).encode()
    shot = dumps(SHOT)[:-1] + b', "' + field + b'": ' + piece + b"}"
    return draw(st.sampled_from([raw(draw(HOSTILE)), shot, b"[" + shot + b"," + dumps(SHOT) + b"]"]))


@st.composite
def players_body(draw: st.DrawFn) -> bytes:
    piece = raw(draw(PIECE))
    return draw(
        st.sampled_from(
            [raw(draw(HOSTILE)), b'{"players": ' + piece + b"}", b'{"players": ["Nobody", ' + piece + b"]}"]
        )
    )
