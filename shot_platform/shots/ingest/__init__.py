"""Reading Kaggle-schema files into the store: validation, cleaning, loading."""
