"""The flowyard server: FastAPI app, database, services."""
