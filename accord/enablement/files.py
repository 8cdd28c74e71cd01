"""Uploaded material files: what a file is (read from its bytes, never its name), where it is stored
(Django's storage API), and its preview (made in the worker).

**Storage.** Files go through ``material_storage()``: the ``"materials"`` entry of ``STORAGES`` when a
deployment configures one (an S3-compatible bucket through django-storages, for example), else the
default storage (local disk under ``MEDIA_ROOT``). Nothing here opens a path directly, so the same code
runs on either. Files are never served from a public URL: a view checks access and streams them.

**Previews.** The first page of a PDF is rendered with ``pdftoppm`` (poppler) when it is installed;
an image is thumbnailed with Pillow when it is installed. Otherwise the version records that there is
no preview and why, and the page says so instead of showing a broken image.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage, storages
from django.http import FileResponse

from accord.core.errors import ApplicationError

# Uploads larger than this are refused (ACCORD_MATERIAL_MAX_BYTES).
DEFAULT_MAX_BYTES = 25 * 1024 * 1024
PREVIEW_WIDTH = 480
PDFTOPPM_TIMEOUT_SECONDS = 30


def material_max_bytes() -> int:
    return int(getattr(settings, "ACCORD_MATERIAL_MAX_BYTES", DEFAULT_MAX_BYTES))


def material_storage() -> Storage:
    """The ``materials`` storage when configured, else the default one."""
    if "materials" in getattr(settings, "STORAGES", {}):
        return storages["materials"]
    return default_storage


@dataclass(frozen=True)
class FileKind:
    """What an uploaded file is, as read from its content."""

    label: str  # shown to people: "PDF document"
    content_type: str
    extension: str
    is_image: bool = False
    is_pdf: bool = False
    inline: bool = False  # shown in the browser rather than downloaded


PDF = FileKind("PDF document", "application/pdf", "pdf", is_pdf=True, inline=True)
PNG = FileKind("PNG image", "image/png", "png", is_image=True, inline=True)
JPEG = FileKind("JPEG image", "image/jpeg", "jpg", is_image=True, inline=True)
GIF = FileKind("GIF image", "image/gif", "gif", is_image=True, inline=True)
WEBP = FileKind("WebP image", "image/webp", "webp", is_image=True, inline=True)
DOCX = FileKind(
    "Word document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"
)
XLSX = FileKind("Excel workbook", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
PPTX = FileKind(
    "PowerPoint presentation",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pptx",
)
ODT = FileKind("OpenDocument text", "application/vnd.oasis.opendocument.text", "odt")
ODS = FileKind("OpenDocument spreadsheet", "application/vnd.oasis.opendocument.spreadsheet", "ods")
ODP = FileKind("OpenDocument presentation", "application/vnd.oasis.opendocument.presentation", "odp")
LEGACY_OFFICE = FileKind("Office document (97-2003)", "application/x-ole-storage", "doc")

ACCEPTED = "PDF, PNG, JPEG, GIF or WebP images, Word, Excel, PowerPoint or OpenDocument files"
_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_OOXML = {"word/": DOCX, "xl/": XLSX, "ppt/": PPTX}
_ODF = {
    b"application/vnd.oasis.opendocument.text": ODT,
    b"application/vnd.oasis.opendocument.spreadsheet": ODS,
    b"application/vnd.oasis.opendocument.presentation": ODP,
}


def _zip_kind(stream: IO[bytes]) -> FileKind | None:
    """An office document in a ZIP container (OOXML or OpenDocument), by what the archive holds."""
    try:
        with zipfile.ZipFile(stream) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                return _ODF.get(archive.read("mimetype").strip())
            if "[Content_Types].xml" in names:
                for prefix, kind in _OOXML.items():
                    if any(name.startswith(prefix) for name in names):
                        return kind
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError):
        return None
    return None


def sniff(stream: IO[bytes]) -> FileKind | None:
    """The kind of file ``stream`` holds, from its first bytes (and, for ZIP containers, its index)."""
    stream.seek(0)
    head = stream.read(16)
    stream.seek(0)
    kind: FileKind | None = None
    if head.startswith(b"%PDF-"):
        kind = PDF
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = PNG
    elif head.startswith(b"\xff\xd8\xff"):
        kind = JPEG
    elif head.startswith((b"GIF87a", b"GIF89a")):
        kind = GIF
    elif head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        kind = WEBP
    elif head.startswith(_OLE_MAGIC):
        kind = LEGACY_OFFICE
    elif head.startswith(b"PK\x03\x04"):
        kind = _zip_kind(stream)
    stream.seek(0)
    return kind


@dataclass(frozen=True)
class CheckedFile:
    kind: FileKind
    size: int
    sha256: str
    name: str


def _safe_name(name: str, kind: FileKind) -> str:
    """The upload's own name without any path, with the extension its content says it has."""
    stem = Path(name.replace("\\", "/")).name.rsplit(".", 1)[0] or "material"
    stem = "".join(c if c.isalnum() or c in "-_ ." else "_" for c in stem).strip(" .")[:120] or "material"
    return f"{stem}.{kind.extension}"


def check_upload(upload: Any) -> CheckedFile:
    """Refuse an empty, oversized or unaccepted file (judged by content); the checked facts otherwise."""
    size = int(getattr(upload, "size", 0) or 0)
    limit = material_max_bytes()
    if size == 0:
        raise ApplicationError("The file is empty.", detail={"file": "is empty"})
    if size > limit:
        raise ApplicationError(
            f"The file is {size / 1_048_576:.1f} MB; files may be at most {limit / 1_048_576:.0f} MB.",
            detail={"file": f"larger than {limit} bytes"},
        )
    kind = sniff(upload)
    if kind is None:
        raise ApplicationError(
            f"This file's content is not one Accord accepts ({ACCEPTED}), whatever its name says.",
            detail={"file": "unaccepted content"},
        )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(chunk)
    upload.seek(0)
    return CheckedFile(
        kind=kind, size=size, sha256=digest.hexdigest(), name=_safe_name(upload.name or "", kind)
    )


def kind_for(content_type: str) -> FileKind | None:
    for kind in (PDF, PNG, JPEG, GIF, WEBP, DOCX, XLSX, PPTX, ODT, ODS, ODP, LEGACY_OFFICE):
        if kind.content_type == content_type:
            return kind
    return None


# --- previews (run in the worker) ----------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewResult:
    png: bytes | None
    note: str


def _pdf_first_page(data: bytes) -> PreviewResult:
    tool = shutil.which("pdftoppm")
    if tool is None:
        return PreviewResult(None, "No preview: the PDF renderer (pdftoppm, from poppler) is not installed.")
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "in.pdf"
        source.write_bytes(data)
        target = Path(work) / "page"
        try:
            subprocess.run(
                [
                    tool,
                    "-f",
                    "1",
                    "-l",
                    "1",
                    "-png",
                    "-singlefile",
                    "-scale-to",
                    str(PREVIEW_WIDTH),
                    str(source),
                    str(target),
                ],
                check=True,
                capture_output=True,
                timeout=PDFTOPPM_TIMEOUT_SECONDS,
            )
        except (subprocess.SubprocessError, OSError) as exc:
            return PreviewResult(
                None, f"No preview: the PDF could not be rendered ({exc.__class__.__name__})."
            )
        made = target.with_suffix(".png")
        if not made.exists():
            return PreviewResult(None, "No preview: the PDF renderer made no image.")
        return PreviewResult(made.read_bytes(), "First page of the PDF.")


def _image_thumbnail(data: bytes) -> PreviewResult:
    try:
        from PIL import Image  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return PreviewResult(None, "No thumbnail: Pillow is not installed; the image itself is shown scaled.")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.thumbnail((PREVIEW_WIDTH, PREVIEW_WIDTH))
            out = io.BytesIO()
            image.convert("RGB").save(out, format="PNG")
            return PreviewResult(out.getvalue(), "Thumbnail of the image.")
    except Exception as exc:  # a malformed image must not fail the worker
        return PreviewResult(None, f"No thumbnail: the image could not be read ({exc.__class__.__name__}).")


def preview_make(data: bytes, content_type: str) -> PreviewResult:
    """A PNG preview of a file's content, or why there is none."""
    kind = kind_for(content_type)
    if kind is None:
        return PreviewResult(None, "No preview for this kind of file.")
    if kind.is_pdf:
        return _pdf_first_page(data)
    if kind.is_image:
        return _image_thumbnail(data)
    return PreviewResult(None, f"No preview for a {kind.label.lower()}: download it to read it.")


def preview_file(png: bytes, name: str) -> ContentFile[bytes]:
    return ContentFile(png, name=f"{Path(name).stem[:100]}-preview.png")


def stream_file(field: Any, *, content_type: str, name: str, inline: bool) -> FileResponse:
    """A stored file streamed to someone already checked: never sniffed by the browser, never cached by a
    shared cache, and sandboxed so an active document cannot run in Accord's origin."""
    response = FileResponse(
        field.open("rb"), content_type=content_type, as_attachment=not inline, filename=name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    )
    response["Cache-Control"] = "private, no-store"
    return response
