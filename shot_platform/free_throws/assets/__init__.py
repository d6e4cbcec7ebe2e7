"""The free-throw assets; ``definitions.py`` loads this package with group ``free_throws``:

raw_free_throws -> free_throw_player_features -> score_beater -> score_beater_predictions
-> score_beater_ground_truth
"""
