"""Ed25519 signing keys of the issuing member authorities, one key pair per member.

Keys live in a directory (option ``--keys``, else ``$FRIENDSHORE_KEYS``, else
``keys/`` in the user data directory): ``<MEMBER>.ed25519.pem`` holds the private
key (PKCS#8 PEM, unencrypted, file mode 0600, directory 0700) and
``<MEMBER>.ed25519.pub.pem`` the public key. Keys are made only by
:func:`generate_key` (``friendshore comply keygen``), never silently; an existing
key is never overwritten.

The zone's own key, which signs the published key list of the members' keys
(:mod:`friendshore.compliance.keylist`), is ``zone.ed25519.pem`` in the same
directory (``friendshore comply keygen --zone``). A member key is replaced only by
:func:`rotate_key` (``friendshore comply keygen --member M --rotate``): the new key
takes the member's file names and the retired key's public key is kept as
``retired/<MEMBER>.<UTC time>.ed25519.pub.pem`` (its private key is deleted).
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import platformdirs
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from friendshore._core.errors import DataError, InputError
from friendshore.data.documents import read_text

__all__ = [
    "KEYS_ENV",
    "ZONE_KEY",
    "default_keys_dir",
    "generate_key",
    "generate_zone_key",
    "key_path",
    "key_stamp",
    "list_keys",
    "load_private_key",
    "load_public_key",
    "load_zone_key",
    "read_key_list_file",
    "rotate_key",
]

KEYS_ENV = "FRIENDSHORE_KEYS"
_MEMBER = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,31}$")
#: The file name stem of the zone key (lower case: never a member code).
ZONE_KEY = "zone"


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
    return _generate(keys_dir, key_path(keys_dir, member), _public_path(keys_dir, member), member)


def generate_zone_key(keys_dir: Path) -> Path:
    """Generate the zone's Ed25519 key pair (it signs the key list); return its path.

    Raises
    ------
    InputError
        If the zone key already exists.
    """
    path = keys_dir / f"{ZONE_KEY}.ed25519.pem"
    return _generate(keys_dir, path, keys_dir / f"{ZONE_KEY}.ed25519.pub.pem", "the zone")


def _pems(private: Ed25519PrivateKey) -> tuple[bytes, bytes]:
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem, public


def _generate(keys_dir: Path, path: Path, pub: Path, owner: str) -> Path:
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.exists():
        raise InputError(f"{path}: a key for {owner} already exists; it is never overwritten")
    pem, public = _pems(Ed25519PrivateKey.generate())
    try:
        _write_new(path, pem, 0o600)
    except FileExistsError:
        raise InputError(f"{path}: a key for {owner} already exists") from None
    pub.unlink(missing_ok=True)
    _write_new(pub, public, 0o644)
    return path


def rotate_key(
    keys_dir: Path,
    member: str,
    commit: Callable[[Ed25519PrivateKey, Ed25519PrivateKey], None],
) -> Path:
    """Replace the signing key of ``member`` with a new one; return the key path.

    The new key pair is written to temporary files first; ``commit(old, new)`` then
    records the change elsewhere (the registry retires the old key and registers the
    new one) and only if it returns are the files swapped: the old public key is
    kept under ``retired/``, the old private key is replaced (gone).

    Raises
    ------
    DataError
        If the member has no key yet (see :func:`load_private_key`).
    """
    old = load_private_key(keys_dir, member)
    path = key_path(keys_dir, member)
    pub = _public_path(keys_dir, member)
    new = Ed25519PrivateKey.generate()
    pem, public = _pems(new)
    staged = [(path, path.with_name(f".{path.name}.next"), pem, 0o600)]
    staged.append((pub, pub.with_name(f".{pub.name}.next"), public, 0o644))
    try:
        for _, tmp, data, mode in staged:
            tmp.unlink(missing_ok=True)
            _write_new(tmp, data, mode)
        commit(old, new)
        retired = keys_dir / "retired"
        retired.mkdir(exist_ok=True, mode=0o700)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        _, old_public = _pems(old)
        _write_new(retired / f"{member}.{stamp}.ed25519.pub.pem", old_public, 0o644)
        for final, tmp, _, _ in staged:
            os.replace(tmp, final)
    finally:
        for _, tmp, _, _ in staged:
            tmp.unlink(missing_ok=True)
    return path


def key_stamp(keys_dir: Path, member: str) -> tuple[int, int]:
    """Return ``(inode, mtime_ns)`` of the member's key file (``(0, 0)`` if none).

    A rotation replaces the file, so a changed stamp tells a cached key is stale.
    """
    try:
        info = key_path(keys_dir, member).stat()
    except OSError:
        return (0, 0)
    return (info.st_ino, info.st_mtime_ns)


def load_zone_key(keys_dir: Path) -> Ed25519PrivateKey:
    """Read the zone's private key (``zone.ed25519.pem``).

    Raises
    ------
    DataError
        If there is none (``friendshore comply keygen --zone``), or it is unreadable.
    """
    path = keys_dir / f"{ZONE_KEY}.ed25519.pem"
    if not path.exists():
        raise DataError(
            f"no zone key: create one with `friendshore comply keygen --zone --keys {keys_dir}`",
            file=path,
        )
    return _load_private(path)


def load_private_key(keys_dir: Path, member: str) -> Ed25519PrivateKey:
    """Read the private key of ``member``.

    Raises
    ------
    DataError
        If there is no key (run ``friendshore comply keygen``), the file is readable
        by group or others, or it is not an Ed25519 private key.
    """
    path = key_path(keys_dir, member)
    if not path.exists():
        raise DataError(
            f"no signing key for {member}: create one with `friendshore comply keygen "
            f"--member {member} --keys {keys_dir}`",
            file=path,
        )
    return _load_private(path)


def _load_private(path: Path) -> Ed25519PrivateKey:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise DataError("the key file is gone", file=path) from None
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
    names = (p.name.removesuffix(".ed25519.pem") for p in keys_dir.glob("*.ed25519.pem"))
    return sorted(n for n in names if n != ZONE_KEY)


def read_key_list_file(path: Path) -> str:
    """Read a key list file (JSON text, UTF-8; ``friendshore comply keys export``).

    Raises
    ------
    DataError
        If the file is missing, a directory or not UTF-8.
    """
    return read_text(path, what="key list")
