"""The one signal routing listens to: a user about to be deleted has their open leads re-routed."""

from __future__ import annotations

from typing import Any


def user_pre_delete_reroute(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Re-route the open leads of a user being deleted, so none is orphaned."""
    from accord.leads.models import Lead
    from accord.routing.services import CLOSED_STAGES, user_deactivate_reroute

    if Lead.objects.filter(owner=instance).exclude(stage__in=CLOSED_STAGES).exists():
        user_deactivate_reroute(user=instance)
