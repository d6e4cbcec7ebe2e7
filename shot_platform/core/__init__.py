"""Domain-free parts of the platform: settings, model registry, gate, metrics, splits, serving, store engine."""
