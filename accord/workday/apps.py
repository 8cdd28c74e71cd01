from django.apps import AppConfig


class WorkdayConfig(AppConfig):
    """Each role's start page: the manager's team view, the heads' decisions, marketing's desk."""

    name = "accord.workday"
    label = "workday"
    verbose_name = "Start pages"
