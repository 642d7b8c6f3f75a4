"""Refuse to start on dependency versions with known holes: python-jose < 3.4.0 (CVE-2024-33663,
algorithm confusion; CVE-2024-33664, JWE bomb) and Flask < 3.1.3 (CVE-2026-27205, missing Vary: Cookie)."""

from __future__ import annotations

from importlib import metadata

MINIMUM = {"python-jose": (3, 4, 0), "flask": (3, 1, 3), "flask-session": (0, 8, 0)}


class DependencyError(RuntimeError):
    """An installed package is too old, or python-jose lacks its cryptography backend."""


def _version(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def check_dependencies(version=metadata.version) -> None:
    """Raise DependencyError naming the package and the minimum version."""
    for package, minimum in MINIMUM.items():
        installed = version(package)
        if _version(installed) < minimum:
            wanted = ".".join(map(str, minimum))
            raise DependencyError(f"{package} {installed} is too old; install {package}>={wanted}")
    from jose.backends import RSAKey

    if RSAKey is None or RSAKey.__name__ != "CryptographyRSAKey":
        raise DependencyError("python-jose is using its pure-python RSA backend; install python-jose[cryptography]")
