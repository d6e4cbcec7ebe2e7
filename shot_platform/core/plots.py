"""Evaluation plots as PNG bytes, and the markdown that shows them in the Dagster UI."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from dagster import MetadataValue
from sklearn.calibration import calibration_curve
from sklearn.metrics import roc_curve


def _png(figure: plt.Figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=90)
    plt.close(figure)
    return buffer.getvalue()


def roc_png(y: np.ndarray, probability: np.ndarray, title: str) -> bytes:
    fpr, tpr, _ = roc_curve(y, probability)
    figure, axis = plt.subplots(figsize=(4.5, 4))
    axis.plot(fpr, tpr, label="model")
    axis.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    axis.set(xlabel="false positive rate", ylabel="true positive rate", title=title)
    axis.legend(loc="lower right")
    return _png(figure)


def calibration_png(y: np.ndarray, probability: np.ndarray, title: str, what: str = "make probability") -> bytes:
    observed, predicted = calibration_curve(y, probability, n_bins=10, strategy="quantile")
    return calibration_curve_png(predicted, observed, title, what)


def calibration_curve_png(predicted: np.ndarray, observed: np.ndarray, title: str, what: str) -> bytes:
    """Observed rate against mean predicted probability per bin (bins computed by the caller)."""
    figure, axis = plt.subplots(figsize=(4.5, 4))
    axis.plot(predicted, observed, marker="o", label="model")
    axis.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect")
    observed_rate = what.replace("probability", "rate")
    axis.set(xlabel=f"predicted {what}", ylabel=f"observed {observed_rate}", title=title)
    axis.legend(loc="upper left")
    return _png(figure)


def daily_png(daily: pd.DataFrame, title: str) -> bytes:
    """Log loss per game date, with the base-rate log loss and the training cut-off."""
    figure, axis = plt.subplots(figsize=(7, 3.5))
    axis.plot(daily["game_date"], daily["log_loss"], marker=".", label="model log loss")
    axis.plot(daily["game_date"], daily["base_rate_log_loss"], linestyle="--", color="grey", label="base rate")
    trained = daily[daily["in_training"]]
    if not trained.empty:
        axis.axvline(trained["game_date"].max(), color="red", linestyle=":", label="end of training data")
    axis.set(xlabel="game date", ylabel="log loss", title=title)
    axis.legend(loc="upper right", fontsize=8)
    figure.autofmt_xdate()
    return _png(figure)


def metric_by_share_png(table: pd.DataFrame, metric: str, title: str) -> bytes:
    """``metric`` by share of the season played, one line per ``series`` (e.g. season), with the
    base rate's ``base_<metric>`` dashed when the table has it."""
    figure, axis = plt.subplots(figsize=(6, 3.5))
    for series, rows in table.groupby("series", sort=True):
        rows = rows.sort_values("share")
        line = axis.plot(rows["share"], rows[metric], marker="o", label=str(series))[0]
        if f"base_{metric}" in rows:
            axis.plot(rows["share"], rows[f"base_{metric}"], linestyle="--", color=line.get_color(), alpha=0.5)
    axis.set(xlabel="share of the regular season played", ylabel=metric, title=title)
    axis.legend(loc="best", fontsize=8, title="dashed: base rate" if f"base_{metric}" in table else None)
    return _png(figure)


def markdown_image(png: bytes, alt: str) -> MetadataValue:
    """Inline PNG as markdown metadata, the quickstart_etl way."""
    encoded = base64.b64encode(png).decode()
    return MetadataValue.md(f"![{alt}](data:image/png;base64,{encoded})")
