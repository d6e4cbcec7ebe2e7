"""Synthetic stand-ins for the real data, so demos and tests run without Kaggle."""
