"""Pydantic models at the REST boundary, shared by the server and the client."""
