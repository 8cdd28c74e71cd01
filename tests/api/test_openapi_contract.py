"""The OpenAPI document is a contract a client can be generated from: one schema per name, operation ids
that read well and are unique, and an API root that no app imports.

django-ninja puts every schema under components/schemas by its class name and merges two classes of
the same name silently (the last one wins), so a client generated from the document reads one
app's answer with another app's class. The checks below find such pairs from the code itself.
"""

from __future__ import annotations

import ast
import enum
import re
import types
import typing
from collections import defaultdict
from pathlib import Path

from ninja import NinjaAPI, Router, Schema
from ninja.openapi.schema import REF_TEMPLATE
from ninja.schema import NinjaGenerateJsonSchema
from pydantic import BaseModel

from config.api import api, operation_id

ACCORD = Path(__file__).resolve().parents[2] / "accord"


def _operations(root: NinjaAPI) -> list[typing.Any]:
    return [
        operation
        for router in root._get_bound_routers()
        for path_view in router.path_operations.values()
        for operation in path_view.operations
        if operation.include_in_schema
    ]


def schema_classes_by_name(root: NinjaAPI) -> dict[str, set[type]]:
    """Every model and enum class reachable from the operations' parameters, bodies and answers, by the
    name it has in the document. django-ninja's own wrappers (the top-level models) are not named there."""
    found: dict[str, set[type]] = defaultdict(set)
    walked: set[type] = set()

    def walk(annotation: typing.Any, *, top: bool = False) -> None:
        if typing.get_origin(annotation) is not None or isinstance(annotation, types.UnionType):
            for argument in typing.get_args(annotation):
                walk(argument)
        elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
            found[annotation.__name__].add(annotation)
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel) and annotation not in walked:
            walked.add(annotation)
            if not top:
                found[annotation.__name__].add(annotation)
            for field in annotation.model_fields.values():
                walk(field.annotation)

    for operation in _operations(root):
        for model in operation.models:
            walk(model, top=True)
        for model in operation.response_models.values():
            if isinstance(model, type):
                walk(model, top=True)
    return found


def schema_definitions_by_name(root: NinjaAPI) -> dict[str, list[dict[str, typing.Any]]]:
    """Each component schema as every operation generates it (inputs in validation mode, answers in
    serialization mode), before django-ninja keeps one of them."""
    found: dict[str, list[dict[str, typing.Any]]] = defaultdict(list)

    def add(model: type[BaseModel], mode: typing.Literal["validation", "serialization"]) -> None:
        generated = model.model_json_schema(
            ref_template=REF_TEMPLATE, schema_generator=NinjaGenerateJsonSchema, mode=mode
        )
        for name, definition in generated.get("$defs", {}).items():
            if definition not in found[name]:
                found[name].append(definition)

    for operation in _operations(root):
        for model in operation.models:
            add(model, "validation")
        for model in operation.response_models.values():
            if isinstance(model, type) and issubclass(model, BaseModel):
                add(model, "serialization")
    return found


def test_no_two_schema_classes_share_a_name():
    shared = {
        name: sorted(f"{cls.__module__}.{cls.__qualname__}" for cls in classes)
        for name, classes in schema_classes_by_name(api).items()
        if len(classes) > 1
    }
    assert not shared, f"give these schemas app-prefixed names (e.g. LeadClockOut, SlaClockOut): {shared}"


def test_each_schema_name_has_one_definition_in_every_operation():
    """The same class can still differ between input and output (a Decimal is a number or a string in,
    a string out): then the document would describe one of the two wrongly."""
    differing = {name: len(defs) for name, defs in schema_definitions_by_name(api).items() if len(defs) > 1}
    assert not differing, (
        f"these names have more than one definition (two classes of one name, or one class that differs "
        f"between input and output: split it into an In and an Out schema): {differing}"
    )


def test_every_schema_the_code_uses_is_in_the_served_document(client):
    served = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert set(schema_classes_by_name(api)) <= set(served)


def test_the_name_check_finds_two_apps_schemas_of_one_name():
    """The checks above catch what django-ninja merges silently: two routers, two ClockOut classes."""

    def clock_out(*fields: str) -> type[Schema]:
        return type("ClockOut", (Schema,), {"__annotations__": dict.fromkeys(fields, int)})

    leads_clock, sla_clock = clock_out("due_in"), clock_out("id", "due_in")
    leads, sla = Router(), Router()

    @leads.get("/leads", response=list[dict[str, list[leads_clock]]])  # type: ignore[valid-type]
    def list_leads(request):  # pragma: no cover - never called
        return []

    @sla.get("/clocks", response=list[sla_clock])  # type: ignore[valid-type]
    def list_clocks(request):  # pragma: no cover - never called
        return []

    root = NinjaAPI(urls_namespace="name-check")
    root.add_router("", leads)
    root.add_router("", sla)

    assert schema_classes_by_name(root)["ClockOut"] == {leads_clock, sla_clock}
    assert len(schema_definitions_by_name(root)["ClockOut"]) == 2
    # And django-ninja's document indeed keeps just one of them.
    assert len(root.get_openapi_schema(path_prefix="")["components"]["schemas"]) == 1


# --- operation ids ------------------------------------------------------------------------------------


def test_operation_ids_are_the_router_and_the_function():
    ids = {
        (operation.view_func.__module__, operation.view_func.__name__): operation_id(operation)
        for operation in _operations(api)
    }
    assert ids[("accord.leads.api", "list_leads")] == "leads_list"
    assert ids[("accord.leads.api", "create_lead")] == "leads_create"
    assert ids[("accord.leads.api", "get_lead")] == "leads_get"
    assert ids[("accord.sla.api", "accept_lead")] == "sla_accept_lead"
    assert ids[("accord.qualification.api", "get_active_criteria")] == "qualification_get_active_criteria"
    assert ids[("accord.sla.external_api", "list_reviews")] == "external_qualification_list_reviews"


def test_operation_ids_in_the_document_are_unique_and_plain(client):
    document = client.get("/api/v1/openapi.json").json()
    ids = [operation["operationId"] for path in document["paths"].values() for operation in path.values()]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert all(i.isidentifier() and i == i.lower() and "accord" not in i and "_api_" not in i for i in ids), (
        ids
    )


# --- layering -----------------------------------------------------------------------------------------


def test_no_app_imports_the_api_root():
    """config/ wires the apps' routers; an app that imported the root back would close a cycle."""
    offenders = []
    for path in ACCORD.rglob("*.py"):
        if "tests" in path.relative_to(ACCORD).parts:
            continue  # a test may read config (the settings' helpers), as the suite itself does
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(name == "config" or name.startswith("config.") for name in names):
                offenders.append(str(path.relative_to(ACCORD.parent)))
    assert not offenders


def test_app_api_modules_are_read_for_their_router_only_and_by_config_only():
    """An app's api.py is a leaf: config/api.py takes its ``router``; nothing else imports from it."""
    api_module = re.compile(r"^accord\.\w+\.(\w+_)?api$")
    found = []
    for path in [*ACCORD.rglob("*.py"), *(ACCORD.parent / "config").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and api_module.match(node.module or ""):
                where = str(path.relative_to(ACCORD.parent))
                found += [(where, node.module, alias.name) for alias in node.names]
    assert found, "config/api.py imports the routers"
    assert {(where, name) for where, _, name in found} == {("config/api.py", "router")}, found


def test_core_api_support_knows_no_app():
    tree = ast.parse((ACCORD / "core" / "api_support.py").read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert {m for m in imported if m.startswith("accord.") and not m.startswith("accord.core.")} == set()


# --- bodies read by hand ------------------------------------------------------------------------------


def test_the_lead_hook_documents_both_bodies_it_takes(client, db):
    """The hook parses its (signed) body itself, so its schema is written by hand: it must name the
    HubSpot Forms shape, whose email sits in ``fields``, not only the flat one that needs ``email``."""
    from accord.leads.models import Lead, Source, SourceKind

    document = client.get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/hooks/leads/{source_key}"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert {shape["title"]: shape["required"] for shape in body["anyOf"]} == {
        "HookLeadFields": ["email"],
        "HookHubSpotForm": ["fields"],
    }

    source = Source.objects.create(name="HubSpot", kind=SourceKind.API, rate_limit_per_minute=1000)
    hubspot = {
        "fields": [{"name": "email", "value": "kim@clinic.example"}, {"name": "firstname", "value": "Kim"}],
        "context": {"pageUri": "https://clinic.example/demo"},
    }
    response = client.post(
        f"/api/v1/hooks/leads/{source.public_key}",
        hubspot,
        content_type="application/json",
        headers={"X-Event-Id": "hubspot-1"},
    )

    assert response.status_code == 201, response.content
    assert Lead.objects.filter(email="kim@clinic.example").exists()
