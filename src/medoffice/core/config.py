"""Reading operator settings from the environment (no Django imports: settings use this)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet

SQLITE_BUSY_TIMEOUT_SECONDS = 20


def env_bool(name: str, *, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, *, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None


def secret_from_env_or_file(name: str, path: Path, *, kind: str = "token") -> str:
    """The secret in ``$name``; else the one stored at ``path``, generated there on first use.

    A laptop install gets stable secrets without any set-up; a server sets the
    variables and never touches the disk.
    """
    value = os.environ.get(name, "").strip()
    if value:
        return value
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    new = Fernet.generate_key().decode() if kind == "fernet" else secrets.token_urlsafe(50)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Another process may have won the race: keep whichever landed first.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(new)
    return new


def database_from_url(url: str | None, data_dir: Path) -> dict:
    """Django DATABASES entry for ``url`` (SQLite in ``data_dir`` when empty).

    SQLite is set up to serve a web server and a worker side by side: WAL
    journal, a busy timeout, and IMMEDIATE transactions so writers queue
    instead of failing with "database is locked".
    """
    if not url:
        url = f"sqlite:///{data_dir / 'medoffice.sqlite3'}"
    if "://" not in url:
        raise ValueError(f"{url!r} is not a URL (expected e.g. postgres://user@host/db)")
    try:
        config = dj_database_url.parse(url, conn_max_age=0)
    except dj_database_url.UnknownSchemeError:
        scheme = url.split("://", 1)[0]
        raise ValueError(
            f"unknown database type {scheme!r}: use sqlite:///path or postgres://host/name"
        ) from None
    except Exception as exc:  # the library raises several types for a bad URL
        raise ValueError(f"cannot read it: {exc}") from None
    engine = config.get("ENGINE", "")
    if engine == "django.db.backends.sqlite3":
        name = str(config.get("NAME") or "")
        if name and name != ":memory:":
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        }
        # Tests on SQLite use a database in memory (named so, as test runners recognise
        # it only by that name once the engine is not Django's own).
        config.setdefault("TEST", {}).setdefault("NAME", ":memory:")
        # Django's backend, but sums of money come back rounded to the cent (see the module).
        config["ENGINE"] = "medoffice.core.sqlite"
    elif engine == "django.db.backends.postgresql":
        if not config.get("NAME"):
            raise ValueError("the PostgreSQL URL names no database")
        config["CONN_HEALTH_CHECKS"] = True
    else:
        raise ValueError(f"unsupported database {engine or url!r}: use sqlite:// or postgres://")
    return config
