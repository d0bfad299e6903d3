"""Ground truth beside the extracts: which person or firm each delivered record belongs to."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import numpy as np
import pandas as pd

PERSON_COLUMNS = ("extract", "delivery_file", "line_number", "person_id", "defect")
FIRM_COLUMNS = ("extract", "delivery_file", "line_number", "firm_id", "defect")

README = Path(__file__).with_name("truth_README.md")


class TruthWriter:
    """Appends truth rows file by file so memory stays bounded at any scale."""

    def __init__(self, truth_dir: Path, person_ids: np.ndarray) -> None:
        truth_dir.mkdir(parents=True, exist_ok=True)
        self.dir = truth_dir
        self.person_ids = person_ids
        self._files = ExitStack()
        self._person, self._firm, self._broken = (
            self._files.enter_context((truth_dir / name).open("w", encoding="utf-8", newline=""))
            for name in ("person_records.csv", "firm_records.csv", "unparseable_lines.csv")
        )
        self._broken.write("extract,delivery_file,line_number,damage\n")
        self._person.write(",".join(PERSON_COLUMNS) + "\n")
        self._firm.write(",".join(FIRM_COLUMNS) + "\n")
        self.person_rows = 0
        self.firm_rows = 0

    def persons(
        self,
        extract: str,
        delivery_file: str,
        lines: np.ndarray,
        entity: np.ndarray,
        defects: np.ndarray,
    ) -> None:
        """Log records of a person extract; ``entity`` holds person indexes."""
        ids = self.person_ids[entity.astype(np.int64)]
        frame = _records(extract, delivery_file, lines, "person_id", ids, defects)
        frame.to_csv(self._person, index=False, header=False, lineterminator="\n")
        self.person_rows += len(frame)

    def firms(
        self,
        extract: str,
        delivery_file: str,
        lines: np.ndarray,
        entity: np.ndarray,
        defects: np.ndarray,
    ) -> None:
        """Log records of a firm extract; ``entity`` holds firm ids."""
        frame = _records(extract, delivery_file, lines, "firm_id", entity, defects)
        frame.to_csv(self._firm, index=False, header=False, lineterminator="\n")
        self.firm_rows += len(frame)

    def broken(
        self, extract: str, delivery_file: str, lines: np.ndarray, damage: np.ndarray | None
    ) -> None:
        """Log the lines damaged on purpose (every extract, with or without entity truth)."""
        if damage is None:
            return
        for line, kind in zip(lines, damage, strict=True):
            if kind:
                self._broken.write(f"{extract},{delivery_file},{int(line)},{kind}\n")

    def close(self) -> None:
        self._files.close()
        (self.dir / "README.md").write_text(README.read_text(encoding="utf-8"), encoding="utf-8")


def _records(
    extract: str,
    delivery_file: str,
    lines: np.ndarray,
    id_column: str,
    ids: np.ndarray,
    defects: np.ndarray,
) -> pd.DataFrame:
    """Truth rows for one delivery: where each record is and which entity it belongs to."""
    return pd.DataFrame(
        {
            "extract": extract,
            "delivery_file": delivery_file,
            "line_number": lines,
            id_column: ids,
            "defect": defects,
        }
    )
