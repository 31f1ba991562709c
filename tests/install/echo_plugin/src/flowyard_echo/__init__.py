"""Test-only worker type ``echo`` (used by the install-policy test)."""
