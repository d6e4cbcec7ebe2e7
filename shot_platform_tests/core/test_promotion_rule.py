"""One promotion rule, written once (``core.gate.judge``): a challenger replaces the champion only when
its log loss on the same unseen games is strictly lower; a tie keeps the champion and is stored as not
promoted with both scores. The decision is typed (``GateDecision``)."""

from __future__ import annotations

import math

from shot_platform.core.gate import TIE, GateDecision, HeldOut, judge

SEASON = HeldOut("2008", "2008-09, a complete season neither model trained on", rows=500)


def test_a_tie_keeps_the_champion_and_records_both_scores():
    decision = judge(0.37, 0.69, "1", SEASON, 0.3704, 0.3704)
    assert isinstance(decision, GateDecision)
    assert not decision.promoted and decision.reason.startswith(TIE)
    assert (decision.challenger_log_loss, decision.champion_log_loss) == (0.3704, 0.3704)
    assert decision.as_metadata() == {
        "promoted": False,
        "reason": decision.reason,
        "challenger_log_loss": 0.3704,
        "champion": "1",
        "champion_log_loss": 0.3704,
        "held_out": "2008",
        "held_out_description": SEASON.description,
        "held_out_rows": 500,
    }
    assert "on the same 500 unseen rows, 2008-09" in decision.reason


def test_only_a_strictly_lower_log_loss_on_the_same_unseen_games_is_promoted():
    better = judge(0.40, 0.69, "1", SEASON, 0.3703, 0.3704)
    assert better.promoted and better.reason.startswith("promoted: log loss 0.3703 vs champion 1 0.3704")
    worse = judge(0.40, 0.69, "1", SEASON, 0.3705, 0.3704)
    assert not worse.promoted and worse.reason.startswith("not promoted: log loss")
    # The comparison is on the held-out games, not on the challenger's own test figure.
    assert not judge(0.10, 0.69, "1", SEASON, 0.3705, 0.3704).promoted


def test_the_base_rate_comes_first_and_a_first_model_must_beat_it():
    assert not judge(0.69, 0.69, None).promoted  # equal to the base rate: not better
    refused = judge(0.70, 0.69, "1", SEASON, 0.30, 0.40)
    assert not refused.promoted and "no better than the base rate's 0.6900" in refused.reason
    first = judge(0.50, 0.69, None)
    assert first.promoted and first.champion_version is None and first.champion_log_loss is None


def test_no_unseen_game_keeps_the_champion_and_an_unscoring_champion_is_replaced():
    none_unseen = judge(0.50, 0.69, "1", HeldOut("2015-01-10", "test games after 2015-01-10"), math.nan, None)
    assert not none_unseen.promoted and "no game unseen by both models" in none_unseen.reason
    assert none_unseen.held_out is not None and none_unseen.held_out.rows == 0
    unscored = judge(0.50, 0.69, "1", SEASON, 0.5, None)
    assert unscored.promoted and "cannot score the held-out games" in unscored.reason
