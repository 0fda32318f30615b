"""Invitation tokens and device fingerprints.

An invitation stores a random nonce (secrets.token_urlsafe(32)) and the SHA-256 of its
token; the token itself is HMAC-SHA256(key, nonce). So the database alone never holds a
working link — someone who reads it cannot answer surveys — while HQ can still export
the links for SMS sending. Looking a token up is a unique-index search on its hash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from django.conf import settings

TOKEN_MAX_LENGTH = 64  # a token is 43 characters; anything much longer is not one of ours


def _key() -> bytes:
    return str(getattr(settings, "SURVEY_TOKEN_KEY", "") or settings.SECRET_KEY).encode()


def new_nonce() -> str:
    return secrets.token_urlsafe(32)


def token_for(nonce: str) -> str:
    """The URL-safe token of an invitation (256 bits, 43 characters)."""
    digest = hmac.new(_key(), b"surveys.invitation:" + nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def device_fingerprint(ip: str, user_agent: str) -> str:
    """A keyed hash of IP address and user agent: equal for one device, reveals neither."""
    message = f"{ip}|{user_agent}".encode()
    return hmac.new(_key(), b"surveys.device:" + message, hashlib.sha256).hexdigest()
