"""Background work for qualification: re-scoring every open lead after a new version activates."""

from __future__ import annotations

from django_tasks import task

from accord.qualification.models import CriteriaSet, CriteriaStatus


@task()
def criteria_rescore_task(criteria_id: int) -> dict[str, int]:
    """Re-score open leads under criteria ``criteria_id`` if it is still the active version.

    Idempotent: a second run finds nothing changed and writes nothing.
    """
    from accord.qualification.services import criteria_rescore

    criteria_set = CriteriaSet.objects.filter(pk=criteria_id, status=CriteriaStatus.ACTIVE).first()
    if criteria_set is None:
        return {"evaluated": 0, "changed": 0, "stage_changed": 0}
    return criteria_rescore(criteria_set=criteria_set)


@task()
def criteria_rescore_active_task() -> dict[str, int]:
    """Re-score open leads under the active criteria: engagement points decay day by day, so scores
    (and MQL / nurture decisions) change without any new event. Declared as daily periodic work."""
    active = CriteriaSet.objects.filter(status=CriteriaStatus.ACTIVE).first()
    if active is None:
        return {"evaluated": 0, "changed": 0, "stage_changed": 0}
    return criteria_rescore_task.call(active.pk)
