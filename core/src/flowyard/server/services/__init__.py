"""Business logic: plain functions over a SQLAlchemy connection inside one transaction."""
