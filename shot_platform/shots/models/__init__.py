"""Training, evaluating and storing shot models."""
