"""What a shot model was trained from, so that unchanged data never trains (and stores) another model.

A training run is given the stored shots (those of the configured window) and splits them by date;
the same shots always give the same split, the same seed and so the same model, which can only tie
with the champion. The champion records ``training_input`` (row count and a fingerprint of the
rows' contents); a run given the same input has nothing new to learn. A champion that records no
input (one saved by hand, or by an earlier release) is never assumed to have seen the data.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pandas as pd

from shot_platform.core.model_store import ModelStore, RegistryError


def training_input(shots: pd.DataFrame) -> dict[str, Any]:
    """Row count and content fingerprint of the shots a model is trained from (row order included:
    the store returns them by id, the order the split and the features see)."""
    digest = hashlib.sha256(pd.util.hash_pandas_object(shots, index=False).to_numpy().tobytes()).hexdigest()
    return {"rows": len(shots), "fingerprint": digest}


def champion_trained_on(models: ModelStore, shots: pd.DataFrame) -> str | None:
    """The champion's version when it was trained from exactly these shots, else None (no usable
    champion: none, a damaged pointer, an artifact that fails its checks; or one that records no or
    another input). The champion is loaded, as the gate would: a damaged one is replaced by training."""
    version = models.champion_pointer().version
    if version is None:
        return None
    try:
        recorded = models.load(version).metadata.get("training_input")
    except RegistryError:
        return None
    return version if recorded == training_input(shots) else None


__all__ = ["champion_trained_on", "training_input"]
