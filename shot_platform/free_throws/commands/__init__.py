"""The free-throw domain's commands (declared in :mod:`shot_platform.free_throws.domain`)."""
