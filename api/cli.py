"""`yiju api [--host --port]` serves the API with uvicorn; `yiju api keys …` manages keys."""

from __future__ import annotations

import argparse
from pathlib import Path

from api.auth import ApiKey, Role, keys_file_path, new_key, read_keys_file, remove_key
from api.auth import append_key as store_key
from core.errors import ConfigError
from core.registry import load_registry
from core.settings import get_settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("api", help="serve the HTTP API (or manage its keys)")
    parser.add_argument("--host", help="address to listen on (default: YIJU_API_HOST)")
    parser.add_argument("--port", type=int, help="port (default: YIJU_API_PORT)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.set_defaults(func=cmd_serve)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    keys = actions.add_parser("keys", help="create, list or revoke API keys (the keys file)")
    key_actions = keys.add_subparsers(dest="key_action", required=True, metavar="KEYS_ACTION")
    create = key_actions.add_parser("create", help="make a key; it is shown once")
    create.add_argument("name", help="who the key is for, e.g. office-guicheng")
    create.add_argument("--role", choices=[r.value for r in Role], required=True)
    create.add_argument("--file", type=Path, help="keys file (default: YIJU_API_KEYS_FILE)")
    create.set_defaults(func=cmd_keys_create)
    listing = key_actions.add_parser("list", help="names and roles of the stored keys")
    listing.add_argument("--file", type=Path)
    listing.set_defaults(func=cmd_keys_list)
    revoke = key_actions.add_parser("revoke", help="remove a key by name")
    revoke.add_argument("name")
    revoke.add_argument("--file", type=Path)
    revoke.set_defaults(func=cmd_keys_revoke)


def _keys_file(args: argparse.Namespace) -> Path:
    return Path(args.file) if args.file is not None else keys_file_path(get_settings())


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    # Fail here with a clear message rather than inside uvicorn's app factory.
    load_registry(settings.registry_file())
    host = args.host or settings.api_host
    port = args.port or settings.api_port
    print(f"yiju API on http://{host}:{port}/api/v1 (docs at /docs)")
    uvicorn.run(
        "api.main:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=args.workers,
        log_level="info",
    )
    return 0


def cmd_keys_create(args: argparse.Namespace) -> int:
    path = _keys_file(args)
    secret = new_key()
    store_key(path, ApiKey.from_secret(args.name, Role(args.role), secret))
    print(f"key for {args.name} ({args.role}), stored hashed in {path}; shown only now:")
    print(secret)
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    path = _keys_file(args)
    keys = read_keys_file(path)
    for key in keys:
        print(f"{key.name:32} {key.role.value}")
    print(f"{len(keys)} key(s) in {path}")
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    path = _keys_file(args)
    if not remove_key(path, args.name):
        raise ConfigError(f"{path} has no key named {args.name!r}")
    print(f"revoked {args.name}")
    return 0
