from datetime import time, timedelta

from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "accord.planning"
    label = "planning"
    verbose_name = "Joint planning"

    def ready(self) -> None:
        # Imported here: these modules need the app registry ready (models).
        from accord.core.calendar_feed import register_calendar_source
        from accord.core.notify import register_notification_kind
        from accord.core.periodic import Periodic, register_periodic
        from accord.people.access import ALL_RECORDS_ROLES, SALES_FLOOR_ROLES
        from accord.people.navigation import NavLink, register_nav_link
        from accord.planning.calendar import planning_calendar_entries

        register_notification_kind("plan_preview", "Plan preview to comment")
        register_notification_kind("plan_disagreement", "Plan disagreement for you to decide")
        register_notification_kind("plan_change_explained", "Drastic plan change to acknowledge")
        register_notification_kind("promise_due", "Promise to sales coming due")
        register_periodic(
            Periodic(
                "planning-disagreements-escalate",
                "accord.planning.tasks.disagreements_escalate_task",
                timedelta(hours=1),
            ),
            Periodic(
                "planning-promises-remind",
                "accord.planning.tasks.promises_remind_task",
                timedelta(days=1),
                time(7, 0),
            ),
        )
        register_calendar_source("planning", planning_calendar_entries)
        register_nav_link(
            NavLink("Planning", "/planning/", ALL_RECORDS_ROLES | SALES_FLOOR_ROLES), after="Campaigns"
        )
