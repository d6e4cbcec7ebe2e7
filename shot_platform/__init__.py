"""shot_platform: an ML platform for basketball analytics on Dagster and BentoML."""

__version__ = "0.1.0"
