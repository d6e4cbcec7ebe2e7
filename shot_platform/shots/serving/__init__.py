"""The shot endpoints' request schema."""
