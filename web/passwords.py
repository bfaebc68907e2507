"""Password hashing: argon2id through argon2-cffi (a well-kept library, not our own crypto)."""

from __future__ import annotations

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

_DUMMY_PASSWORD = "not-a-real-password"  # noqa: S105 - verified against unknown identifiers


class Passwords:
    """Hash and verify; ``cheapest`` keeps test suites fast and is refused in production."""

    def __init__(self, profile: str = "default") -> None:
        self.hasher = (PasswordHasher.from_parameters(profiles.CHEAPEST) if profile == "cheapest"
                       else PasswordHasher())
        self._dummy = self.hasher.hash(_DUMMY_PASSWORD)

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """True when ``password`` matches; an unknown account still costs one verification."""
        try:
            return self.hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self.hasher.check_needs_rehash(stored)
