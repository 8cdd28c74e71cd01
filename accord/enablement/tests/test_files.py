"""Uploads are judged by their content, limited in size, stored through the storage API, served only to
those who may see them, and previewed in the worker (or say honestly why there is no preview)."""

from __future__ import annotations

import shutil

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accord.core.errors import ApplicationError
from accord.enablement import files
from accord.enablement.models import MaterialVersion, PreviewStatus
from accord.enablement.services import material_preview_generate
from accord.enablement.tests.conftest import PDF_BYTES, PNG_BYTES, docx_bytes, pdf_upload


def test_content_decides_what_a_file_is_not_its_name(make_material):
    with pytest.raises(ApplicationError, match="content is not one Accord accepts"):
        make_material(
            upload=SimpleUploadedFile("looks-like.pdf", b"MZ\x90\x00 an executable", "application/pdf")
        )
    with pytest.raises(ApplicationError, match="content is not one Accord accepts"):
        make_material(upload=SimpleUploadedFile("page.pdf", b"<svg onload=alert(1)>", "application/pdf"))
    material = make_material(upload=SimpleUploadedFile("notes.txt", docx_bytes(), "text/plain"))
    version = material.current_version
    assert version.file_kind == "Word document" and version.original_name == "notes.docx"
    assert version.file.name.endswith(".docx")


def test_an_empty_or_oversized_file_is_refused(make_material, settings):
    with pytest.raises(ApplicationError, match="empty"):
        make_material(upload=SimpleUploadedFile("a.pdf", b"", "application/pdf"))
    settings.ACCORD_MATERIAL_MAX_BYTES = 1024
    with pytest.raises(ApplicationError, match="at most"):
        make_material(upload=pdf_upload(data=PDF_BYTES + b"0" * 2000))


def test_a_link_or_a_file_but_not_both(make_material):
    with pytest.raises(ApplicationError, match="either a file or a link"):
        make_material(upload=pdf_upload(), url="https://example.com/deck")
    with pytest.raises(ApplicationError, match="full web address"):
        make_material(url="javascript:alert(1)")
    assert make_material(url="https://example.com/deck").kind == "link"


def test_the_file_is_served_only_to_those_who_may_see_it(enable, make_material, client_for):
    material = make_material()
    url = f"/enablement/materials/{material.pk}/versions/{material.current_version_id}/file"
    response = client_for(enable.alice).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf" and response["X-Content-Type-Options"] == "nosniff"
    assert client_for(enable.carol).get(url).status_code == 404  # a draft is marketing's until published
    assert client_for(enable.eve).get(url).status_code == 404


def test_without_a_pdf_renderer_the_version_says_there_is_no_preview(make_material, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    version = make_material().current_version
    assert version.preview_status == PreviewStatus.PENDING
    assert material_preview_generate(version_id=version.pk) == PreviewStatus.NONE
    version = MaterialVersion.objects.get(pk=version.pk)
    assert "pdftoppm" in version.preview_note and not version.preview


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler) is not installed here")
def test_with_pdftoppm_the_first_page_becomes_the_preview(make_material):
    version = make_material().current_version
    material_preview_generate(version_id=version.pk)
    version = MaterialVersion.objects.get(pk=version.pk)
    assert version.preview_status in (PreviewStatus.READY, PreviewStatus.NONE)


def test_an_image_is_previewed_by_a_thumbnail_or_shown_scaled_when_pillow_is_missing(
    enable, make_material, client_for
):
    material = make_material(upload=SimpleUploadedFile("diagram.bin", PNG_BYTES, "application/octet-stream"))
    version = material.current_version
    assert version.file_kind == "PNG image"
    material_preview_generate(version_id=version.pk)
    version = MaterialVersion.objects.get(pk=version.pk)
    try:
        import PIL  # noqa: F401
    except ImportError:
        assert (
            version.preview_status == PreviewStatus.NONE and "Pillow is not installed" in version.preview_note
        )
        response = client_for(enable.alice).get(
            f"/enablement/materials/{material.pk}/versions/{version.pk}/preview"
        )
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
    else:
        assert version.preview_status in (PreviewStatus.READY, PreviewStatus.NONE)


def test_the_storage_is_the_materials_entry_when_configured(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "materials": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "bucket")},
        },
    }
    from django.core.files.storage import storages

    storages._storages = {}  # the handler caches backends; the settings just changed
    storage = files.material_storage()
    assert storage.location == str(tmp_path / "bucket")
    storages._storages = {}
