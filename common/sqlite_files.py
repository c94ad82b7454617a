"""The embedded SQLite database holds personal data and secrets at rest: its file, and the
``-wal`` / ``-shm`` files beside it, are readable by their owner only (mode 0600).

``manage.py prepare_var`` creates the file 0600 before ``migrate`` (SQLite gives the
``-wal`` and ``-shm`` files the database file's mode), and :func:`restrict_on_connect`
(``connection_created``, connected in ``CommonConfig.ready``) narrows a file created or left
wider by anything else (an older install, a ``migrate`` run without ``prepare_var``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings

MODE = 0o600
SUFFIXES = ("", "-wal", "-shm", "-journal")


def sqlite_database_path(database: dict[str, Any] | None = None) -> Path | None:
    """The file of a SQLite ``DATABASES`` entry (default: ``default``), or ``None`` for
    another engine or an in-memory database."""
    database = database if database is not None else settings.DATABASES["default"]
    if database.get("ENGINE") != "django.db.backends.sqlite3":
        return None
    name = str(database.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
        return None
    return Path(name)


def restrict(path: Path) -> None:
    """chmod 0600 the database file and those of its ``-wal``, ``-shm`` and ``-journal``
    files that exist."""
    for suffix in SUFFIXES:
        file = path.with_name(path.name + suffix)
        try:
            if file.stat().st_mode & 0o777 != MODE:
                file.chmod(MODE)
        except FileNotFoundError:
            continue


def create_private(path: Path) -> None:
    """Create the database file with mode 0600 if it does not exist, then :func:`restrict`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, MODE))
    restrict(path)


def restrict_on_connect(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created`` receiver: :func:`restrict` a SQLite connection's files."""
    if connection.vendor != "sqlite" or connection.is_in_memory_db():
        return
    path = sqlite_database_path(connection.settings_dict)
    if path is not None:
        restrict(path)
