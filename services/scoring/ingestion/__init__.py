"""Ingestion: partners report activities (POST /activities), accepted once per id."""
