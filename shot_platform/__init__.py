"""shot_platform: an ML platform for basketball analytics on Dagster and BentoML."""

import pandas as pd

# Text from outside (a file, a provider, a request) may hold lone surrogates; pandas' pyarrow-backed
# strings (its default once pyarrow, needed for Parquet export, is installed) refuse them, while the
# ingest and quarantine paths replace them on storing. Python-backed strings keep that one rule.
pd.set_option("mode.string_storage", "python")

__version__ = "0.1.0"
