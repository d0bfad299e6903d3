"""What is in the landing folder: each extract's delivery files, and files no contract owns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from datalabs_pipelines.contracts import Contract


@dataclass(frozen=True)
class Delivery:
    contract: Contract
    name: str  # the partition key: the file name inside the extract's landing folder
    path: Path

    @property
    def version(self) -> str:
        """Changes when the file is replaced, so a re-delivery triggers a new run."""
        stat = self.path.stat()
        return f"{stat.st_mtime_ns}-{stat.st_size}"


def deliveries(contracts: tuple[Contract, ...], landing_dir: Path) -> list[Delivery]:
    """Every file in every extract's folder, in name order (hidden files ignored)."""
    found = []
    for contract in contracts:
        folder = landing_dir / contract.agency / contract.name
        if folder.is_dir():
            found += [
                Delivery(contract, p.name, p)
                for p in sorted(folder.iterdir())
                if p.is_file() and not p.name.startswith(".")
            ]
    return found


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
