"""Stored point-in-time features of the free-throw domain (what was known after each game)."""
