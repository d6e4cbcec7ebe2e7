"""Serving the champion over HTTP: request schema, hot-swappable state, batching, request log.

BentoML-specific code lives in ``bento/service.py``; everything here is plain
Python so it can be tested and reused without a server.
"""
