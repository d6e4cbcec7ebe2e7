"""What every caller of a model needs of it: its version and probabilities for a batch.

One protocol for the whole platform: the service's micro-batcher, the prediction cache, the gate's
judges and the flow all call ``predict`` on a batch and record ``version`` beside the answers. The
batch is whatever the domain's model takes (a frame of model inputs, a list of validated requests).
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np


class Scorer(Protocol):
    """A loaded model version: one probability per item of a batch."""

    @property
    def version(self) -> str: ...

    def predict(self, inputs: Any) -> np.ndarray: ...


class CountingScorer(Scorer, Protocol):
    """A scorer that counts its calls and rows (the flow shows them, so the cache can be seen to work)."""

    calls: int
    rows: int
