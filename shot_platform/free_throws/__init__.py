"""The free-throw domain (Kaggle "NBA free throws" schema): ingest, features, the score_beater model."""
