"""Officials' accounts: a small JSON file of bcrypt password hashes and roles.

``settings.data_dir / "users.json"``; written atomically (temp file + rename, mode 0600).
Roles: ``official`` (sees internal documents) and ``admin`` (also uploads, deletes, reindexes).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

import bcrypt

from radslag.settings import Settings

Role = Literal["official", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
NAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
MIN_PASSWORD = 8
MAX_PASSWORD_BYTES = 72  # bcrypt's limit


@cache
def _dummy_hash() -> bytes:
    """Checked when the user does not exist, so a wrong name costs as long as a wrong password."""
    return bcrypt.hashpw(b"not-a-real-password", bcrypt.gensalt(rounds=12))


class UserError(ValueError):
    """A name, role or password that cannot be stored."""


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    created: str = ""


def users_path(settings: Settings) -> Path:
    return settings.data_dir / "users.json"


class UserStore:
    """Load-on-change reads, atomic writes. Safe for several processes reading one file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._cache: tuple[tuple[int, int, int], dict[str, dict[str, Any]]] | None = None

    # -- reading -----------------------------------------------------------------------
    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return {}
        cached = self._cache
        key = (st.st_ino, st.st_mtime_ns, st.st_size)  # a rename (atomic write) changes the inode
        if cached is not None and cached[0] == key:
            return cached[1]
        data = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        users = {str(k): dict(v) for k, v in dict(data.get("users", {})).items()}
        self._cache = (key, users)
        return users

    def get(self, name: str) -> User | None:
        rec = self._load().get(name)
        if rec is None or rec.get("role") not in ROLES:
            return None
        return User(name, rec["role"], str(rec.get("created", "")))

    def list(self) -> list[User]:
        return [u for name in sorted(self._load()) if (u := self.get(name)) is not None]

    def verify(self, name: str, password: str) -> User | None:
        """The user when the password matches, else None (constant work either way)."""
        rec = self._load().get(name)
        stored = str(rec["password_hash"]).encode() if rec else _dummy_hash()
        given = password.encode()
        ok = len(given) <= MAX_PASSWORD_BYTES and bcrypt.checkpw(given, stored)
        return self.get(name) if ok and rec else None

    # -- writing -----------------------------------------------------------------------
    def add(self, name: str, password: str, role: str = "official", *, rounds: int = 12, replace: bool = False) -> User:
        if not NAME_RE.match(name):
            raise UserError("user name: 1-64 characters of A-Z a-z 0-9 _ . @ -")
        if role not in ROLES:
            raise UserError(f"role must be one of {', '.join(ROLES)}")
        raw = password.encode()
        if len(password) < MIN_PASSWORD:
            raise UserError(f"password must be at least {MIN_PASSWORD} characters")
        if len(raw) > MAX_PASSWORD_BYTES:
            raise UserError(f"password must be at most {MAX_PASSWORD_BYTES} bytes")
        pw_hash = bcrypt.hashpw(raw, bcrypt.gensalt(rounds=rounds)).decode()
        with self._lock:
            users = dict(self._load())
            if name in users and not replace:
                raise UserError(f"user {name!r} already exists")
            created = datetime.now(UTC).isoformat(timespec="seconds")
            users[name] = {"role": role, "password_hash": pw_hash, "created": created}
            self._write(users)
        return User(name, role, created)  # type: ignore[arg-type]

    def remove(self, name: str) -> bool:
        with self._lock:
            users = dict(self._load())
            if users.pop(name, None) is None:
                return False
            self._write(users)
            return True

    def _write(self, users: dict[str, dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".users-", suffix=".json", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump({"users": users}, out, ensure_ascii=False, indent=2)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._cache = None
