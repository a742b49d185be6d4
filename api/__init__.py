"""The HTTP API for the district office and the dispatchers (FastAPI, under `/api/v1`)."""
