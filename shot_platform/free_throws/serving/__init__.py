"""The free-throw domain's endpoints on the platform's BentoML service."""
