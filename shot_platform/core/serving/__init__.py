"""Domain-free serving parts: adaptive batching, the request log, the hot-swap watcher."""
