"""The key of the secrets store: values are Fernet tokens in the database, clear only in memory.

The key comes from ``FLOWYARD_SERVER_SECRETS_KEY`` or the file named by
``FLOWYARD_SERVER_SECRETS_KEY_FILE``. A server without a key can list secret names but refuses
to store or reveal a value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowyard.server.errors import Invalid
from flowyard.settings import Settings

if TYPE_CHECKING:  # cryptography is imported on first use, not at server start
    from cryptography.fernet import Fernet

NO_KEY = (
    "The server has no secrets key: set FLOWYARD_SERVER_SECRETS_KEY (or "
    "FLOWYARD_SERVER_SECRETS_KEY_FILE) on the server; `flowyard secret generate-key` prints one."
)


def generate_key() -> str:
    """A new random key for ``FLOWYARD_SERVER_SECRETS_KEY``."""
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


class SecretCipher:
    """Encrypts and decrypts secret values with the server's key (``None``: no key configured)."""

    def __init__(self, key: str | None) -> None:
        self._fernet: Fernet | None = None
        if key:
            from cryptography.fernet import Fernet

            try:
                self._fernet = Fernet(key.strip().encode())
            except ValueError as exc:
                raise ValueError(
                    "FLOWYARD_SERVER_SECRETS_KEY is not a Fernet key (32 url-safe base64 bytes); "
                    "generate one with `flowyard secret generate-key`."
                ) from exc

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretCipher:
        """The cipher of the key given in the settings (variable first, then the key file)."""
        if settings.server_secrets_key is not None:
            return cls(settings.server_secrets_key.get_secret_value())
        if settings.server_secrets_key_file is not None:
            return cls(settings.server_secrets_key_file.expanduser().read_text())
        return cls(None)

    @property
    def configured(self) -> bool:
        """Whether a key is present."""
        return self._fernet is not None

    def _require(self) -> Fernet:
        if self._fernet is None:
            raise Invalid(NO_KEY, field="FLOWYARD_SERVER_SECRETS_KEY")
        return self._fernet

    def encrypt(self, value: str) -> str:
        """The stored form of ``value``."""
        return self._require().encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        """The clear value of a stored token; a clear error when the key changed."""
        from cryptography.fernet import InvalidToken

        try:
            return self._require().decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise Invalid(
                "A stored secret cannot be decrypted with the server's current key (was the key "
                "changed?); restore the old key or rotate the secret.",
                field="FLOWYARD_SERVER_SECRETS_KEY",
            ) from exc
