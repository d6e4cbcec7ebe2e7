"""The free-throw assets; ``definitions.py`` loads this package with group ``free_throws``:

scores_api (external) -> free_throw_games -> raw_free_throws -> free_throw_player_games
-> free_throw_player_features, free_throw_labels -> score_beater -> score_beater_predictions
-> score_beater_ground_truth

Every table of the flow is written by one asset of the ``free_throw_games`` multi-asset
(``flow_tables.WRITERS``); ``score_beater`` writes the model registry and the ground truth only reads.
"""
