"""Google service-account authentication for the Google API fakes.

:class:`ServiceAccountAuth` holds the public keys of the service accounts a fake trusts and
checks what google-auth sends for a service-account JSON key:

- the OAuth2 JWT-bearer grant (``POST {token_uri}`` with ``grant_type=urn:ietf:params:oauth:
  grant-type:jwt-bearer&assertion=<JWT>``): the assertion must be an RS256 JWT whose ``iss`` is
  a registered ``client_email``, whose ``aud`` is Google's token URI (what google-auth
  always sends) or the fake's, that has not expired and whose
  signature verifies with that account's public key; the answer is a fresh opaque bearer token
  (``access_token``, ``expires_in``, ``token_type``), as ``oauth2.googleapis.com/token`` gives;
- ``Authorization: Bearer <token>`` on API calls: a token issued above, or a self-signed JWT
  (what google-cloud clients send for a service account, ``always_use_jwt_access``) with
  ``iss == sub`` a registered account, unexpired, signature valid.

:func:`service_account_key` makes a real RSA key, registers its public key and returns the JSON
key file's content with ``token_uri`` pointing at the fake.

Not modelled: IAM (a valid account may do anything), scopes and audiences of self-signed JWTs
beyond being present, token expiry after issue, ``kid`` rotation, domain-wide delegation
(``sub`` ≠ ``iss`` in a grant), impersonation, ID tokens, external accounts and the metadata
server.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from typing import Any
from urllib.parse import parse_qs

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# google-auth puts Google's token endpoint in ``aud`` whatever the key's ``token_uri`` says.
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"


class AuthError(Exception):
    """A refused credential: the OAuth2 error code and a description."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class ServiceAccountAuth:
    """The accounts a fake trusts and the tokens it issued (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, rsa.RSAPublicKey] = {}
        self._tokens: dict[str, str] = {}  # bearer token -> client_email
        self.grants = 0  # JWT-bearer grants answered with a token
        self.self_signed_calls = 0  # API calls authorised by a self-signed JWT

    def add_account(self, client_email: str, public_key_pem: bytes) -> None:
        """Trust ``client_email`` with the RSA public key ``public_key_pem`` (PEM)."""
        key = serialization.load_pem_public_key(public_key_pem)
        if not isinstance(key, rsa.RSAPublicKey):
            raise TypeError("a service account's key must be RSA")
        with self._lock:
            self._keys[client_email] = key

    def grant(self, form: bytes, token_uri: str) -> dict[str, Any]:
        """Answer a JWT-bearer grant (the form body of ``POST {token_uri}``).

        :raises AuthError: not a JWT-bearer grant, or an assertion that does not verify.
        """
        fields = {k: v[-1] for k, v in parse_qs(form.decode("ascii", "replace")).items()}
        if fields.get("grant_type") != JWT_BEARER:
            raise AuthError("unsupported_grant_type", f"grant_type must be {JWT_BEARER}")
        claims = self._verify(fields.get("assertion", ""))
        if claims.get("aud") not in (token_uri, GOOGLE_TOKEN_URI):
            raise AuthError("invalid_grant", f"the assertion's aud must be {GOOGLE_TOKEN_URI}")
        if not claims.get("scope"):
            raise AuthError("invalid_scope", "the assertion names no scope")
        token = "ya29.fake-" + secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = str(claims["iss"])
            self.grants += 1
        return {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}

    def caller(self, authorization: str | None) -> str:
        """The account an ``Authorization`` header authenticates.

        :raises AuthError: no bearer credential, or one this fake neither issued nor can verify.
        """
        if not authorization or not authorization.startswith("Bearer "):
            raise AuthError("unauthenticated", "the request has no bearer credential")
        token = authorization.removeprefix("Bearer ").strip()
        with self._lock:
            email = self._tokens.get(token)
        if email is not None:
            return email
        if token.count(".") != 2:
            raise AuthError("unauthenticated", "the bearer token was not issued by this fake")
        claims = self._verify(token)
        if claims.get("sub") != claims.get("iss"):
            raise AuthError("unauthenticated", "a self-signed JWT's sub must equal its iss")
        with self._lock:
            self.self_signed_calls += 1
        return str(claims["iss"])

    def _verify(self, token: str) -> dict[str, Any]:
        """The claims of an RS256 JWT signed by a registered account, unexpired."""
        try:
            header_b64, payload_b64, signature_b64 = token.split(".")
            header = json.loads(_b64decode(header_b64))
            claims = json.loads(_b64decode(payload_b64))
            signature = _b64decode(signature_b64)
        except ValueError:
            raise AuthError("invalid_grant", "the assertion is not a JWT") from None
        if not isinstance(header, dict) or header.get("alg") != "RS256":
            raise AuthError("invalid_grant", "the JWT must be signed with RS256")
        if not isinstance(claims, dict):
            raise AuthError("invalid_grant", "the JWT's payload is not an object")
        with self._lock:
            key = self._keys.get(str(claims.get("iss")))
        if key is None:
            raise AuthError("invalid_grant", f"unknown service account {claims.get('iss')!r}")
        try:
            key.verify(
                signature,
                f"{header_b64}.{payload_b64}".encode("ascii"),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature:
            raise AuthError("invalid_grant", "the JWT's signature does not verify") from None
        if not isinstance(claims.get("exp"), int | float) or claims["exp"] < time.time():
            raise AuthError("invalid_grant", "the JWT has expired (or has no exp)")
        return claims


def service_account_key(
    auth: ServiceAccountAuth, token_uri: str, project: str, name: str = "runner"
) -> dict[str, str]:
    """A new service account of ``project`` trusted by ``auth``: its JSON key file's content.

    The key is a real 2048-bit RSA key; ``token_uri`` is where google-auth exchanges it.
    """
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    email = f"{name}@{project}.iam.gserviceaccount.com"
    auth.add_account(
        email,
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    )
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return {
        "type": "service_account",
        "project_id": project,
        "private_key_id": secrets.token_hex(20),
        "private_key": pem,
        "client_email": email,
        "client_id": str(secrets.randbelow(10**20)),
        "token_uri": token_uri,
    }
