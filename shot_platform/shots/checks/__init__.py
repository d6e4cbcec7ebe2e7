"""Asset checks (the model's own check lives with the shot_model asset)."""
