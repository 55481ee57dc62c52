"""Encryption of stored secrets (Tripletex tokens) with Fernet; comma-separated keys rotate."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class DecryptionFailed(Exception):
    """The ciphertext was not made with any of the configured keys."""


def _fernet(keys: str) -> MultiFernet:
    parts = [k.strip() for k in (keys or "").split(",") if k.strip()]
    if not parts:
        raise ValueError("ENCRYPTION_KEY is empty")
    # The first key encrypts; every key decrypts, so an old key can be phased out.
    return MultiFernet([Fernet(k.encode()) for k in parts])


def encrypt(plaintext: str, keys: str) -> str:
    """Encrypt a secret with the first configured key."""
    return _fernet(keys).encrypt(plaintext.encode()).decode("ascii")


def decrypt(ciphertext: str, keys: str) -> str:
    """Decrypt a secret with any configured key; DecryptionFailed if none fits."""
    try:
        return _fernet(keys).decrypt(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionFailed("no configured key decrypts this value") from exc


def rotate(ciphertext: str, keys: str) -> str:
    """Re-encrypt a secret with the first (newest) key."""
    return _fernet(keys).rotate(ciphertext.encode()).decode("ascii")
