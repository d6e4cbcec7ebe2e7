"""The shot make/miss domain: schema, ingest, features, models, assets, checks, endpoints."""
