"""The kinds of notification enablement sends (registered in the app's ready())."""

from __future__ import annotations

MATERIAL_REVIEW = "material_review"
MATERIAL_REVIEW_REMINDER = "material_review_reminder"
MATERIAL_REVIEW_CLOSED = "material_review_closed"
MATERIAL_APPROVAL = "material_approval"
MATERIAL_COMMENT = "material_comment"
MATERIAL_PUBLISHED = "material_published"
POSITIONING_ROUND = "positioning_round"
POSITIONING_CLOSED = "positioning_closed"

KINDS: tuple[tuple[str, str], ...] = (
    (MATERIAL_REVIEW, "Material for the sales committee to preview"),
    (MATERIAL_REVIEW_REMINDER, "Committee comments due soon"),
    (MATERIAL_REVIEW_CLOSED, "Committee review of your material closed"),
    (MATERIAL_APPROVAL, "Material waiting for your approval"),
    (MATERIAL_COMMENT, "Comment or decision on your material"),
    (MATERIAL_PUBLISHED, "New or changed material in the library"),
    (POSITIONING_ROUND, "Positioning input requested"),
    (POSITIONING_CLOSED, "Positioning round closed"),
)
