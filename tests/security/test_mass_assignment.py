"""Mass assignment is impossible: every API body accepts only its declared fields; anything else is a 422.

Two layers: the OpenAPI schema of every operation with a body must say ``additionalProperties:
false`` (so an endpoint added tomorrow without ``extra="forbid"`` fails here), and a table of real
calls sends the fields an attacker would try (owner, stage, score, id, created_at, criteria_version,
is_superuser...) and checks they are refused and nothing changed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _open_objects(schema: dict[str, Any], components: dict[str, Any], path: str, seen: set[str]) -> list[str]:
    """Paths of object schemas inside ``schema`` that accept unknown fields."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        seen.add(name)
    schema = _resolve(schema, components)
    problems: list[str] = []
    if schema.get("type") == "object" or "properties" in schema:
        if schema.get("additionalProperties", True) is not False and "properties" in schema:
            problems.append(path)
        for key, sub in schema.get("properties", {}).items():
            problems += _open_objects(sub, components, f"{path}.{key}", seen)
    for key in ("items",):
        if isinstance(schema.get(key), dict):
            problems += _open_objects(schema[key], components, f"{path}[]", seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            problems += _open_objects(sub, components, path, seen)
    return problems


# Bodies that take another system's payload as it comes, by design; each maps known fields only.
FOREIGN_PAYLOADS = {
    # Form and webhook compatibility (X4): the intake pipeline reads lead fields from it and never
    # owner, stage, score or criteria (test_hook_payload_cannot_set_owner_or_stage checks that).
    "POST /api/v1/hooks/leads/{source_key}",
}


def test_every_api_body_schema_forbids_unknown_fields():
    from config.api import api

    spec = api.get_openapi_schema()
    components = spec.get("components", {}).get("schemas", {})
    open_bodies: list[str] = []
    for url, operations in spec["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {})
            for content in body.values():
                where = f"{method.upper()} {url}"
                if where in FOREIGN_PAYLOADS:
                    continue
                open_bodies += _open_objects(content["schema"], components, where, set())
    assert not open_bodies, f"add model_config = ConfigDict(extra='forbid') to: {open_bodies}"


def _cases(w: Any) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(who, method, url, body with one forbidden field) for every endpoint that takes a body."""
    lead, deal, campaign, criteria = w.bob_lead, w.bob_deal, w.campaign, w.criteria
    cases = [
        ("alice", "post", "/api/v1/leads", {"email": "new@x.example", "owner": "bob"}),
        ("alice", "post", "/api/v1/leads", {"email": "new@x.example", "stage": "customer"}),
        ("alice", "post", "/api/v1/leads", {"email": "new@x.example", "score": 100}),
        ("alice", "post", "/api/v1/leads", {"email": "new@x.example", "id": 1}),
        ("alice", "post", "/api/v1/leads", {"email": "new@x.example", "created_at": "2020-01-01T00:00:00Z"}),
        ("alice", "post", "/api/v1/leads", {"email": "new@x.example", "criteria_version": 99}),
        ("alice", "post", "/api/v1/leads", {"email": "new@x.example", "is_superuser": True}),
        ("mona", "post", "/api/v1/criteria", {"name": "x", "status": "active"}),
        ("mona", "post", "/api/v1/criteria", {"name": "x", "version": 99}),
        ("mona", "put", f"/api/v1/criteria/{criteria.pk}",
         {"name": "x", "mql_threshold": 1, "rules": [], "status": "active"}),
        ("mona", "put", f"/api/v1/criteria/{criteria.pk}",
         {"name": "x", "mql_threshold": 1,
          "rules": [{"field": "title", "operator": "contains", "value": "VP", "criteria_set": 999}]}),
        ("mona", "post", f"/api/v1/criteria/{criteria.pk}/sign-off", {"comment": "", "user": w.p.sam.pk}),
        ("sam", "post", "/api/v1/routing/dry-run", {"limit": 5, "status": "active"}),
        ("sam", "post", f"/api/v1/leads/{lead.pk}/reassign", {"to": w.p.carol.pk, "reason": "x", "stage": "sql"}),
        ("bob", "post", f"/api/v1/leads/{lead.pk}/reject", {"reason": "not_ready", "owner": w.p.bob.pk}),
        ("bob", "post", f"/api/v1/leads/{lead.pk}/touches", {"kind": "call", "user": w.p.carol.pk}),
        ("mona", "post", "/api/v1/campaigns", {"name": "x", "id": 1}),
        ("mona", "patch", f"/api/v1/campaigns/{campaign.pk}", {"created_at": "2020-01-01T00:00:00Z"}),
        ("mona", "post", f"/api/v1/campaigns/{campaign.pk}/costs", {"amount": "1", "created_by": w.p.bob.pk}),
        ("bob", "post", f"/api/v1/leads/{lead.pk}/convert", {"amount": "1", "owner": "charlie"}),
        ("bob", "post", f"/api/v1/deals/{deal.pk}/stage", {"stage": "proposal", "amount": "1"}),
        ("bob", "post", f"/api/v1/deals/{deal.pk}/win", {"owner": w.p.carol.pk}),
        ("bob", "post", f"/api/v1/deals/{deal.pk}/lose", {"reason": "x", "stage": "won"}),
        ("bob", "post", f"/api/v1/leads/{lead.pk}/customer-stage", {"stage": "loyal", "reason": "x", "score": 9}),
        ("mona", "post", "/api/v1/reports/abtest",
         {"a": {"name": "a", "conversions": 1, "trials": 9}, "b": {"name": "b", "conversions": 1, "trials": 9},
          "is_superuser": True}),
        ("mona", "post", "/api/v1/reports/abtest",
         {"a": {"name": "a", "conversions": 1, "trials": 9, "id": 3}, "b": {"name": "b", "conversions": 1, "trials": 9}}),
    ]  # fmt: skip
    return cases


def test_forbidden_fields_are_refused_with_422_and_change_nothing(world, api_client_for):
    from accord.audit.models import ChangeRecord
    from accord.leads.models import Lead

    clients = {}
    before_changes = ChangeRecord.objects.count()
    before_leads = Lead.objects.count()
    refused_wrongly = []
    for who, method, url, body in _cases(world):
        client = clients.setdefault(who, api_client_for(getattr(world.p, who)))
        response = getattr(client, method)(url, json.dumps(body), content_type="application/json")
        if response.status_code != 422:
            refused_wrongly.append(f"{method.upper()} {url} {sorted(body)} -> {response.status_code}")
    assert not refused_wrongly, "\n".join(refused_wrongly)
    assert Lead.objects.count() == before_leads
    assert ChangeRecord.objects.count() == before_changes, "a refused call changed a tracked record"


def test_the_refusal_names_the_forbidden_field(world, api_client_for):
    response = api_client_for(world.p.alice).post(
        "/api/v1/leads", json.dumps({"email": "n@x.example", "owner": "bob"}), content_type="application/json"
    )
    assert response.status_code == 422
    assert "owner" in response.json()["detail"]


def test_hook_payload_cannot_set_owner_or_stage(world):
    from django.test import Client

    from accord.leads.models import Lead, Source, SourceKind

    source = Source.objects.create(name="Partner CRM", kind=SourceKind.API, rate_limit_per_minute=1_000_000)
    body = {"email": "hooked@partner.example", "owner": world.p.bob.username, "owner_id": world.p.bob.pk,
            "stage": "customer", "score": 100, "criteria_version": 99, "is_superuser": True}  # fmt: skip
    response = Client().post(
        f"/api/v1/hooks/leads/{source.public_key}", json.dumps(body), content_type="application/json",
        headers={"X-Event-Id": "evt-mass-1"},
    )  # fmt: skip
    assert response.status_code in (200, 201, 422), response.content
    lead = Lead.objects.filter(email_key="hooked@partner.example").first()
    if lead is not None:
        assert lead.owner_id != world.p.bob.pk  # no routing rules exist: only the payload could do it
        assert lead.stage != "customer" and lead.score != 100
