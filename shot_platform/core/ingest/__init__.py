"""The ingest kit every domain uses: one CSV reader (``text_table``), one report, the shared steps
around a domain's rules (``rows``), one quarantine table and listing (``quarantine``)."""
