"""Loading free-throw files into the store: validation, quarantine, idempotent insert."""
