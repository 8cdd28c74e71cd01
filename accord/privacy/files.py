"""Finding and removing a person in the files Accord keeps under MEDIA_ROOT (CSV import uploads and
their error reports).

What erasure does to a file that mentions the person:
- an import's uploaded source file: the person's own rows (a cell holds their address) are replaced
  by rows of empty cells, so the row numbers in that import's error report still point at the right
  rows;
- any other CSV (error reports, previews): the person's own rows are removed;
- in both, another row that merely mentions them keeps everything but the mention ("[erased]");
- any other file: deleted (Accord cannot know its format well enough to edit it).
Files are rewritten through a temporary file and an atomic rename, so a reader never sees half a file.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

CHUNK_BYTES = 8 * 1024 * 1024
ERASED = "[erased]"


@dataclass(frozen=True)
class FileMention:
    path: str  # relative to MEDIA_ROOT
    kind: str  # "import source", "import errors", "other"
    import_job_id: int | None


def media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def media_files() -> Iterator[Path]:
    root = media_root()
    if not root.is_dir():
        return
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            yield Path(dirpath) / name


def file_mentions(path: Path, pattern: re.Pattern[str]) -> bool:
    """Whether the file contains a match of ``pattern``, read in chunks (bytes seen as latin-1, so any
    file can be searched and an ASCII address is found whatever the file's encoding)."""
    overlap = 512
    tail = ""
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            window = tail + chunk.decode("latin-1")
            if pattern.search(window):
                return True
            tail = window[-overlap:]
    return False


def _import_paths() -> dict[str, tuple[str, int]]:
    """MEDIA_ROOT-relative path -> (kind, job id) for every import job's files."""
    from accord.leads.models import ImportJob

    paths: dict[str, tuple[str, int]] = {}
    for job_id, source, errors in ImportJob.objects.values_list("pk", "file", "error_file"):
        if source:
            paths[os.path.normpath(source)] = ("import source", job_id)
        if errors:
            paths[os.path.normpath(errors)] = ("import errors", job_id)
    return paths


def media_files_mentioning(pattern: re.Pattern[str]) -> list[FileMention]:
    """Every file under MEDIA_ROOT that matches ``pattern``, with the import job it belongs to."""
    known = _import_paths()
    root = media_root()
    found: list[FileMention] = []
    for path in media_files():
        if not file_mentions(path, pattern):
            continue
        relative = os.path.normpath(path.relative_to(root))
        kind, job_id = known.get(relative, ("other", None))
        found.append(FileMention(relative, kind, job_id))
    return sorted(found, key=lambda m: m.path)


def csv_rows_scrub(
    path: Path, pattern: re.Pattern[str], *, keep_row_numbers: bool, encoding: str = ""
) -> int:
    """Blank (``keep_row_numbers``) or drop the CSV rows mentioning a needle; returns how many.

    Bytes that do not decode are carried through unchanged (surrogateescape), so the rest of the file
    stays exactly as it was apart from quoting.
    """
    codec = encoding or "utf-8"
    if csv.field_size_limit() < 1_048_576:
        csv.field_size_limit(1_048_576)
    changed = 0
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".erase-", suffix=".tmp")
    try:
        with (
            open(path, encoding=codec, errors="surrogateescape", newline="") as src,
            os.fdopen(fd, "w", encoding=codec, errors="surrogateescape", newline="") as dst,
        ):
            writer = csv.writer(dst)
            for cells in csv.reader(src):
                if not cells or not any(pattern.search(cell) for cell in cells):
                    writer.writerow(cells)
                    continue
                changed += 1
                if any(pattern.fullmatch(cell.strip()) for cell in cells):
                    # The person's own row (a cell is their address): all of it goes.
                    if keep_row_numbers:
                        writer.writerow([""] * len(cells))
                    continue
                # Someone else's row that mentions them: only the mention goes.
                writer.writerow([pattern.sub(ERASED, cell) for cell in cells])
        os.replace(tmp_name, path)
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise
    return changed


def media_files_scrub(
    pattern: re.Pattern[str], *, encodings: dict[int, str] | None = None
) -> list[dict[str, object]]:
    """Remove the person from every file under MEDIA_ROOT (see the module docstring); what was done."""
    encodings = encodings or {}
    done: list[dict[str, object]] = []
    root = media_root()
    for mention in media_files_mentioning(pattern):
        path = root / mention.path
        if mention.kind == "import source":
            codec = encodings.get(mention.import_job_id or 0, "") or "utf-8-sig"
            rows = csv_rows_scrub(path, pattern, keep_row_numbers=True, encoding=codec)
            done.append({"path": mention.path, "kind": mention.kind, "action": "rows blanked", "rows": rows})
        elif path.suffix.lower() == ".csv":
            rows = csv_rows_scrub(path, pattern, keep_row_numbers=False)
            done.append({"path": mention.path, "kind": mention.kind, "action": "rows removed", "rows": rows})
        else:
            path.unlink()
            done.append({"path": mention.path, "kind": mention.kind, "action": "deleted", "rows": None})
        if path.exists() and file_mentions(path, pattern):
            # Not a CSV after all (the mention sits outside any parsed cell): delete it rather than keep it.
            path.unlink()
            done[-1]["action"] = "deleted"
    return done
