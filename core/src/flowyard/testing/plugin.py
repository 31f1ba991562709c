"""pytest plugin: shared fixtures (filled in as the server and worker land)."""
