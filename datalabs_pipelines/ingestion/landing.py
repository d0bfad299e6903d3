"""What is in the landing folder: each extract's delivery files, and files no contract owns.

The landing folder is confined: a partition key is a plain file name inside its extract's
folder, and a symbolic link there is listed (so its rejection is seen) but never followed.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from datalabs_pipelines.contracts import Contract
from datalabs_pipelines.ingestion.errors import DeliveryRejected
from datalabs_pipelines.settings import get_settings


@dataclass(frozen=True)
class Delivery:
    contract: Contract
    name: str  # the partition key: the file name inside the extract's landing folder
    path: Path

    @property
    def version(self) -> str:
        """Changes when the file is replaced, so a re-delivery triggers a new run."""
        info = self.path.lstat()  # a symbolic link's own, never its target's
        return f"{info.st_mtime_ns}-{info.st_size}"


def deliveries(contracts: tuple[Contract, ...], landing_dir: Path) -> list[Delivery]:
    """Every file (or link to one) in every extract's folder, in name order (hidden ignored).

    Links are listed so that loading rejects them with a reason, rather than their vanishing.
    """
    found = []
    for contract in contracts:
        folder = landing_dir / contract.agency / contract.name
        if folder.is_dir():
            found += [
                Delivery(contract, p.name, p)
                for p in sorted(folder.iterdir())
                if (p.is_file() or p.is_symlink()) and not p.name.startswith(".")
            ]
    return found


FILE_GONE = "file exists"  # the rule a deleted delivery breaks: withdrawn, not rejected


def delivery_path(contract: Contract, landing_dir: Path, key: str) -> Path:
    """The regular file partition ``key`` names inside ``contract``'s landing folder.

    ``DeliveryRejected`` (nothing read) for a key that is not a plain file name (``../``, an
    absolute path, a separator), a folder reached through a symbolic link, a symbolic link,
    anything but a regular file, or the linkage key file itself (a hard link to it).
    """
    folder = landing_dir / contract.agency / contract.name
    path = folder / key
    if not key or key in (".", "..") or "/" in key or "\\" in key or "\0" in key:
        raise DeliveryRejected(
            path,
            "confined landing",
            "the partition key is not a plain file name",
            contract=contract.name,
        )
    expected = landing_dir.resolve() / contract.agency / contract.name
    if folder.resolve() != expected:
        raise DeliveryRejected(
            path,
            "confined landing",
            "the extract's landing folder is reached through a symbolic link: not followed",
            contract=contract.name,
        )
    try:
        info = path.lstat()
    except FileNotFoundError:
        raise DeliveryRejected(
            path, FILE_GONE, "the delivery file is gone", contract=contract.name
        ) from None
    if stat.S_ISLNK(info.st_mode):
        raise DeliveryRejected(
            path,
            "confined landing",
            "the delivery is a symbolic link: not followed, not read",
            contract=contract.name,
        )
    if not stat.S_ISREG(info.st_mode):
        raise DeliveryRejected(
            path, "confined landing", "the delivery is not a regular file", contract=contract.name
        )
    if _is_key_file(info):
        raise DeliveryRejected(
            path,
            "confined landing",
            "the delivery is the linkage key file (a hard link to it): not read",
            contract=contract.name,
        )
    return path


def _is_key_file(info: os.stat_result) -> bool:
    """Whether ``info`` is the linkage key file's own inode (a hard link is a regular file)."""
    try:
        key = get_settings().key_file.lstat()
    except OSError:  # no key file yet: nothing to confuse with
        return False
    return (info.st_dev, info.st_ino) == (key.st_dev, key.st_ino)


def unowned_files(contracts: tuple[Contract, ...], landing_dir: Path) -> list[Path]:
    """Files in landing outside every contract's folder: no contract can load them."""
    owned = {landing_dir / c.agency / c.name for c in contracts}
    if not landing_dir.is_dir():
        return []
    return sorted(
        p
        for p in landing_dir.rglob("*")
        if p.is_file()
        and not p.name.startswith(".")
        and p.parent not in owned
        and not any(part.startswith(".") for part in p.relative_to(landing_dir).parts)
    )
