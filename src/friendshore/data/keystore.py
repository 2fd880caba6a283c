"""Ed25519 signing keys of the issuing member authorities, one key pair per member.

Keys live in a directory (option ``--keys``, else ``$FRIENDSHORE_KEYS``, else
``keys/`` in the user data directory): ``<MEMBER>.ed25519.pem`` holds the private
key (PKCS#8 PEM, unencrypted, file mode 0600, directory 0700) and
``<MEMBER>.ed25519.pub.pem`` the public key. Keys are made only by
:func:`generate_key` (``friendshore comply keygen``), never silently; an existing
key is never overwritten.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from pathlib import Path

import platformdirs
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from friendshore._core.errors import DataError, InputError

__all__ = [
    "KEYS_ENV",
    "default_keys_dir",
    "generate_key",
    "key_path",
    "list_keys",
    "load_private_key",
    "load_public_key",
]

KEYS_ENV = "FRIENDSHORE_KEYS"
_MEMBER = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,31}$")


def default_keys_dir() -> Path:
    """Return the keys directory: ``$FRIENDSHORE_KEYS`` or ``keys/`` in the user data dir."""
    env = os.environ.get(KEYS_ENV)
    return Path(env) if env else Path(platformdirs.user_data_dir("friendshore")) / "keys"


def _check_member(member: str) -> str:
    if not _MEMBER.match(member):
        raise InputError(
            f"{member!r} is not a member code: use the zone member's code, e.g. USA, EU27, JPN"
        )
    return member


def key_path(keys_dir: Path, member: str) -> Path:
    """Return the private key file of ``member`` in ``keys_dir``."""
    return keys_dir / f"{_check_member(member)}.ed25519.pem"


def _public_path(keys_dir: Path, member: str) -> Path:
    return keys_dir / f"{_check_member(member)}.ed25519.pub.pem"


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to a new file ``path`` atomically with ``mode``; never overwrite."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(tmp, path)  # fails if path exists: no overwrite, even in a race
    finally:
        Path(tmp).unlink(missing_ok=True)


def generate_key(keys_dir: Path, member: str) -> Path:
    """Generate an Ed25519 key pair for ``member`` in ``keys_dir``; return the private key path.

    Raises
    ------
    InputError
        If ``member`` is not a member code or a key for it already exists.
    """
    path = key_path(keys_dir, member)
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.exists():
        raise InputError(f"{path}: a key for {member} already exists; it is never overwritten")
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    try:
        _write_new(path, pem, 0o600)
    except FileExistsError:
        raise InputError(f"{path}: a key for {member} already exists") from None
    pub = _public_path(keys_dir, member)
    pub.unlink(missing_ok=True)
    _write_new(pub, public, 0o644)
    return path


def load_private_key(keys_dir: Path, member: str) -> Ed25519PrivateKey:
    """Read the private key of ``member``.

    Raises
    ------
    DataError
        If there is no key (run ``friendshore comply keygen``), the file is readable
        by group or others, or it is not an Ed25519 private key.
    """
    path = key_path(keys_dir, member)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise DataError(
            f"no signing key for {member}: create one with `friendshore comply keygen "
            f"--member {member} --keys {keys_dir}`",
            file=path,
        ) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise DataError(
            f"key file permissions {stat.S_IMODE(mode):04o} are too open: chmod 600", file=path
        )
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise DataError(f"not a PEM private key: {exc}", file=path) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise DataError("not an Ed25519 private key", file=path)
    return key


def load_public_key(keys_dir: Path, member: str) -> Ed25519PublicKey:
    """Read the public key of ``member`` (from its public key file).

    Raises
    ------
    DataError
        If the file is missing or does not hold an Ed25519 public key.
    """
    path = _public_path(keys_dir, member)
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except FileNotFoundError:
        raise DataError(f"no public key for {member}", file=path) from None
    except ValueError as exc:
        raise DataError(f"not a PEM public key: {exc}", file=path) from exc
    if not isinstance(key, Ed25519PublicKey):
        raise DataError("not an Ed25519 public key", file=path)
    return key


def list_keys(keys_dir: Path) -> list[str]:
    """Return the members with a private key in ``keys_dir``, sorted."""
    if not keys_dir.is_dir():
        return []
    return sorted(p.name.removesuffix(".ed25519.pem") for p in keys_dir.glob("*.ed25519.pem"))
