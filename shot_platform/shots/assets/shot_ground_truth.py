"""shot_ground_truth: predictions joined to what happened, per game date."""

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from shot_platform.core.metrics import probability_metrics
from shot_platform.core.plots import daily_png, markdown_image
from shot_platform.shots.resources import ShotModelStoreResource, ShotStoreResource


def daily_performance(scored: pd.DataFrame, trained_through: str | None) -> pd.DataFrame:
    """Metrics per game date; ``in_training`` marks dates the model learned from."""
    rows = []
    for date, day in scored.groupby("game_date"):
        metrics = probability_metrics(day["FGM"].to_numpy(), day["make_probability"].to_numpy())
        rows.append({"game_date": date, **metrics})
    daily = pd.DataFrame(rows)
    cutoff = pd.Timestamp(trained_through) if trained_through else pd.Timestamp.min
    daily["in_training"] = daily["game_date"] <= cutoff
    return daily


def served_performance(requests: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """Metrics of the predictions the service actually returned, per model version.

    Joins the request log (requests that carried GAME_ID and SHOT_NUMBER) to the
    outcomes that have arrived since; the latest request per shot counts.
    """
    keyed = requests.dropna(subset=["game_id", "shot_number"]).sort_values("id")
    keyed = keyed.drop_duplicates(["game_id", "player_id", "shot_number"], keep="last")
    keyed = keyed.astype({"game_id": "int64", "shot_number": "int64", "player_id": "int64"})
    joined = keyed.merge(outcomes, on=["game_id", "player_id", "shot_number"], how="inner")
    rows = [
        {"model_version": version, **probability_metrics(group["fgm"].to_numpy(), group["make_probability"].to_numpy())}
        for version, group in joined.groupby("model_version")
    ]
    return pd.DataFrame(rows, columns=["model_version", "rows", "auc", "log_loss", "brier", "made_rate"])


@asset(group_name="shots", deps=["shot_predictions", "raw_shots"], compute_kind="pandas")
def shot_ground_truth(
    context: AssetExecutionContext, shot_store: ShotStoreResource, shot_models: ShotModelStoreResource
) -> MaterializeResult:
    """How the champion's predictions fared against the outcomes, per game date, and
    how the predictions the service actually served fared once their results arrived.

    Dates after the model's training data are the honest, out-of-sample view;
    dates it trained on are marked, since they flatter it.
    """
    store, models = shot_store.get(), shot_models.get()
    predictions = store.load_predictions()
    shots = store.load_shots()[["GAME_ID", "player_id", "SHOT_NUMBER", "game_date", "FGM"]]
    scored = shots.merge(
        predictions.rename(columns={"game_id": "GAME_ID", "shot_number": "SHOT_NUMBER"}),
        on=["GAME_ID", "player_id", "SHOT_NUMBER"],
        how="inner",
    )
    champion = models.champion_version()
    scored = scored[scored["model_version"] == champion]
    trained_through = models.metadata(champion)["train_dates"][1] if champion else None
    daily = daily_performance(scored, trained_through)
    unseen = scored[scored["game_date"] > pd.Timestamp(trained_through)] if trained_through else scored
    overall = (
        probability_metrics(unseen["FGM"].to_numpy(), unseen["make_probability"].to_numpy()) if len(unseen) else {}
    )
    outcomes = shots.rename(columns={"GAME_ID": "game_id", "SHOT_NUMBER": "shot_number", "FGM": "fgm"})
    served = served_performance(
        store.load_request_log(keyed_only=True), outcomes[["game_id", "player_id", "shot_number", "fgm"]]
    )
    context.log.info(
        f"{len(scored)} labelled predictions, {len(unseen)} on games after the training data; "
        f"{int(served['rows'].sum())} served predictions now have an outcome"
    )
    table = daily[["game_date", "rows", "made_rate", "mean_probability", "log_loss", "auc", "in_training"]].copy()
    table["game_date"] = table["game_date"].dt.date.astype(str)
    return MaterializeResult(
        metadata={
            "model_version": champion or "",
            "labelled_predictions": len(scored),
            "unseen_rows": len(unseen),
            **{f"unseen_{name}": float(overall[name]) for name in ("log_loss", "auc", "brier") if name in overall},
            "per_date": MetadataValue.md(table.round(4).to_markdown(index=False)),
            "served_labelled": int(served["rows"].sum()),
            "served_by_model_version": MetadataValue.md(served.round(4).to_markdown(index=False) or "none yet"),
            "log_loss_by_date": markdown_image(daily_png(daily, f"Model {champion} by game date"), "log loss by date"),
        }
    )
