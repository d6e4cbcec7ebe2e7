"""The game-by-game flow: final games from the Scores API, one at a time, into counts, features,
labels and score_beater predictions (``sync.sync_free_throws``); the CLI and the Dagster sensors
call the same engine."""
