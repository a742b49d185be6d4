"""Bearer API keys with roles, stored hashed.

A key is shown once when it is made; afterwards only its salted SHA-256 hash is
kept. Keys come from `YIJU_API_KEYS` (comma-separated `name:role:key`, hashed
on load, for deployments that inject secrets through the environment) and from
the keys file (`YIJU_API_KEYS_FILE`, one JSON object per line with `name`,
`role`, `salt`, `hash`, written by `yiju api keys create`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from core.errors import ConfigError
from core.settings import Settings

KEY_PREFIX = "yiju_"


class Role(StrEnum):
    OFFICE = "office"  # the district office: read
    DISPATCHER = "dispatcher"  # read, plan, routes
    ADMIN = "admin"  # everything


class Scope(StrEnum):
    READ = "read"
    PLAN = "plan"
    ADMIN = "admin"


ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.OFFICE: frozenset({Scope.READ}),
    Role.DISPATCHER: frozenset({Scope.READ, Scope.PLAN}),
    Role.ADMIN: frozenset({Scope.READ, Scope.PLAN, Scope.ADMIN}),
}


def keys_file_path(settings: Settings) -> Path:
    """`YIJU_API_KEYS_FILE`, or `<data_dir>/api-keys.jsonl`."""
    return settings.api_keys_file or settings.data_dir / "api-keys.jsonl"


def hash_key(key: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}:{key}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored key: who it belongs to, its role, and its salted hash (never the key)."""

    name: str
    role: Role
    salt: str
    hash: str

    @classmethod
    def from_secret(cls, name: str, role: Role, key: str) -> ApiKey:
        salt = secrets.token_hex(8)
        return cls(name, role, salt, hash_key(key, salt))

    def matches(self, key: str) -> bool:
        return hmac.compare_digest(self.hash, hash_key(key, self.salt))

    def allows(self, scope: Scope) -> bool:
        return scope in ROLE_SCOPES[self.role]

    def to_json(self) -> str:
        return json.dumps(
            {"name": self.name, "role": self.role.value, "salt": self.salt, "hash": self.hash}
        )


def new_key() -> str:
    """A fresh random key (shown to its owner once)."""
    return KEY_PREFIX + secrets.token_urlsafe(24)


def _role(text: str, where: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise ConfigError(f"{where}: role {text!r} is not one of {roles}") from None


def parse_env_keys(text: str) -> list[ApiKey]:
    """`name:role:key[,name:role:key…]` from YIJU_API_KEYS, hashed on load."""
    keys: list[ApiKey] = []
    for n, entry in enumerate(e.strip() for e in text.split(",")):
        if not entry:
            continue
        name, _, rest = entry.partition(":")
        role, _, key = rest.partition(":")
        if not (name and role and key):
            raise ConfigError(f"YIJU_API_KEYS entry {n + 1} is not name:role:key")
        keys.append(ApiKey.from_secret(name, _role(role, f"YIJU_API_KEYS entry {name!r}"), key))
    return keys


def read_keys_file(path: Path) -> list[ApiKey]:
    if not path.exists():
        return []
    keys: list[ApiKey] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            keys.append(
                ApiKey(
                    str(raw["name"]),
                    _role(str(raw["role"]), f"{path}:{n}"),
                    str(raw["salt"]),
                    str(raw["hash"]),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError):
            raise ConfigError(
                f"{path}:{n} is not a key record (name, role, salt, hash); "
                "recreate it with `yiju api keys create`"
            ) from None
    return keys


def append_key(path: Path, key: ApiKey) -> None:
    """Add a key to the keys file (created with owner-only permissions)."""
    existing = read_keys_file(path)
    if any(k.name == key.name for k in existing):
        raise ConfigError(f"{path} already has a key named {key.name!r}; revoke it first")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(key.to_json() + "\n")
    path.chmod(0o600)


def remove_key(path: Path, name: str) -> bool:
    keys = read_keys_file(path)
    kept = [k for k in keys if k.name != name]
    if len(kept) == len(keys):
        return False
    path.write_text("".join(k.to_json() + "\n" for k in kept), encoding="utf-8")
    return True


class KeyRing:
    """The keys the API accepts: fixed ones (environment, tests) and the keys file, which
    is read again when it changes, so `yiju api keys create/revoke` needs no restart."""

    def __init__(self, keys: list[ApiKey], keys_file: Path | None = None) -> None:
        self.fixed = list(keys)
        self.keys_file = keys_file
        self._file_keys: list[ApiKey] = []
        self._file_stamp: tuple[int, int] | None = None
        self._lock = threading.Lock()
        self._refresh()

    @classmethod
    def load(cls, env_value: str | None, keys_file: Path | None) -> KeyRing:
        return cls(parse_env_keys(env_value) if env_value else [], keys_file)

    @property
    def keys(self) -> list[ApiKey]:
        self._refresh()
        return self.fixed + self._file_keys

    def _refresh(self) -> None:
        if self.keys_file is None:
            return
        try:
            info = self.keys_file.stat()
            stamp: tuple[int, int] | None = (info.st_mtime_ns, info.st_size)
        except FileNotFoundError:
            stamp = None
        with self._lock:
            if stamp == self._file_stamp:
                return
            self._file_keys = read_keys_file(self.keys_file) if stamp else []
            self._file_stamp = stamp

    def find(self, key: str) -> ApiKey | None:
        # Every stored key is checked, so the time taken does not say which one matched.
        found = None
        for stored in self.keys:
            if stored.matches(key) and found is None:
                found = stored
        return found
