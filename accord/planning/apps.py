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
        from accord.planning.collaboration import register_planning_figures
        from accord.planning.inbox import launches_inbox_panel
        from accord.sla.inbox_panels import register_inbox_panel

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
        # The collaboration panel's planning figures, and what's in it for sales in the rep inbox.
        register_planning_figures()
        register_inbox_panel("planning-launches", launches_inbox_panel)
