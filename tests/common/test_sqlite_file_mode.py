"""The embedded SQLite database and its -wal/-shm files are mode 0600 (owner only)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)

OPEN_AND_WRITE = """
import json, os, stat, django
django.setup()
from django.conf import settings
from django.db import connection
path = settings.DATABASES["default"]["NAME"]
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE IF NOT EXISTS t (x text)")
    cursor.execute("INSERT INTO t VALUES ('Zoë')")
    present = [s for s in ("", "-wal", "-shm") if os.path.exists(path + s)]
    modes = {s: oct(stat.S_IMODE(os.stat(path + s).st_mode)) for s in present}
print(json.dumps(modes))
"""


def _env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(GLOAM_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="config.settings.test")
    return env


def _run(args: list[str], var_dir: Path) -> str:
    done = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, *args],
        cwd=ROOT,
        env=_env(var_dir),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_prepare_var_creates_the_database_file_0600(tmp_path):
    var_dir = tmp_path / "var"
    old_umask = os.umask(0o022)
    try:
        _run(["manage.py", "prepare_var"], var_dir)
    finally:
        os.umask(old_umask)
    database = var_dir / "gloam.sqlite3"
    assert database.exists()
    assert _mode(database) == 0o600
    modes = json.loads(_run(["-c", OPEN_AND_WRITE], var_dir).strip().splitlines()[-1])
    assert modes[""] == "0o600"
    assert modes.get("-wal") == "0o600"  # WAL mode: both exist while the connection is open
    assert modes.get("-shm") == "0o600"


def test_a_world_readable_database_file_is_narrowed_on_connect(tmp_path):
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    database = var_dir / "gloam.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        extra = database.with_name(database.name + suffix)
        extra.touch()
        extra.chmod(0o644)
    # Empty -wal/-shm files are valid for SQLite; the connection rebuilds them.
    modes = json.loads(_run(["-c", OPEN_AND_WRITE], var_dir).strip().splitlines()[-1])
    assert modes == {"": "0o600", "-wal": "0o600", "-shm": "0o600"}
    assert _mode(database) == 0o600
