"""The keyring file that services read (`FileKeyring`), as the key command edits it: each change
is a whole new file renamed into place, so a running service never reads half of one."""

import base64
import json
import os
import stat
import tempfile
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from medrec_shared.platform.crypto import LocalKeyring, parse_keyring_file


@dataclass(frozen=True)
class KeyringFile:
    active: str
    keys: dict[str, bytes] = field(repr=False)  # never shown


def read(path: Path) -> KeyringFile:
    active, keys = parse_keyring_file(path.read_bytes())
    return KeyringFile(active, keys)


def write(path: Path, keyring: KeyringFile, *, create: bool = False) -> None:
    """Replaces the file atomically (a new one is created only with `create`); the new file
    keeps the old one's mode and, where allowed, owner, so the services can still read it."""
    LocalKeyring(keyring.keys, keyring.active)  # refuses a keyring that would not load
    document = {
        "active": keyring.active,
        "keys": {kek_id: base64.b64encode(key).decode() for kek_id, key in keyring.keys.items()},
    }
    previous = None if create else path.stat()
    if create and path.exists():
        raise FileExistsError(path)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # 0600
    try:
        with os.fdopen(fd, "w") as file:
            json.dump(document, file, indent=2)
            file.write("\n")
            file.flush()
            os.fsync(file.fileno())
        if previous is not None:
            os.chmod(temp, stat.S_IMODE(previous.st_mode))
            with suppress(PermissionError):
                os.chown(temp, previous.st_uid, previous.st_gid)
        os.replace(temp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)
