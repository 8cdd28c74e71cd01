"""Enablement test helpers: a legal approver, a committee, file bytes that are what they claim, materials."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accord.notifications.tests.smtp import smtp_server  # noqa: F401

PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100ffff03000006000557bfab0000000049454e44ae426082"
)


def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return out.getvalue()


def pdf_upload(name: str = "battlecard.pdf", data: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


@pytest.fixture
def enable(personas, settings, tmp_path):
    """Personas plus lena (legal approver) and colin (compliance), a committee of bob for 2027, and
    files stored under a temporary MEDIA_ROOT."""
    from accord.enablement.models import Approver, Committee, Gate
    from accord.people.models import Role
    from accord.people.tests.factories import user_with_roles

    settings.MEDIA_ROOT = str(tmp_path / "media")
    p = personas
    p.lena = user_with_roles("lena", Role.EXECUTIVE)
    Approver.objects.create(user=p.lena, gate=Gate.LEGAL)
    p.colin = user_with_roles("colin", Role.EXECUTIVE)
    Approver.objects.create(user=p.colin, gate=Gate.COMPLIANCE)
    committee = Committee.objects.create(
        name="FY2027", starts_on=date(2000, 1, 1), ends_on=date(2099, 12, 31)
    )
    committee.members.set([p.bob])
    p.committee = committee
    return p


@pytest.fixture
def make_material(enable):
    from accord.enablement.services import MaterialSpec, material_create

    def make(*, user=None, upload=None, url="", **spec):
        spec.setdefault("title", "Health battlecard")
        if upload is None and not url:
            upload = pdf_upload()
        return material_create(user=user or enable.alice, spec=MaterialSpec(**spec), upload=upload, url=url)

    return make


@pytest.fixture
def agreed_brief(enable):
    from accord.enablement.models import BRIEF_OUTCOMES, BRIEF_QUESTIONS
    from accord.enablement.services import brief_agree, brief_create

    texts = {name: f"Answer to {label}" for name, label in BRIEF_QUESTIONS + BRIEF_OUTCOMES}
    texts["value_proposition"] = "Cuts claim handling time in half"
    brief = brief_create(user=enable.alice, title="Claims module", product="Claims", texts=texts)
    brief_agree(brief=brief, user=enable.alice)
    return brief_agree(brief=brief, user=enable.bob)
