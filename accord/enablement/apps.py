from datetime import timedelta

from django.apps import AppConfig


class EnablementConfig(AppConfig):
    name = "accord.enablement"
    label = "enablement"
    verbose_name = "Enablement"

    def ready(self) -> None:
        # Imported here: these modules need the app registry ready (models).
        from accord.core.calendar_feed import register_calendar_source
        from accord.core.notify import register_notification_kind
        from accord.core.periodic import Periodic, register_periodic
        from accord.enablement.collaboration import register_enablement_figures
        from accord.enablement.notifications import KINDS
        from accord.enablement.selectors import calendar_entries_for
        from accord.people.navigation import NavLink, register_nav_link

        for value, label in KINDS:
            register_notification_kind(value, label)
        # Reminders before the committee's deadline, and a sweep that closes reviews and positioning
        # rounds whose deadline task was lost (each deadline also has its own task).
        register_periodic(
            Periodic(
                "enablement-review-reminders",
                "accord.enablement.tasks.reviews_remind_task",
                timedelta(hours=1),
            )
        )
        register_calendar_source("enablement", calendar_entries_for)
        # One link: the library (in the "More" menu); its page leads marketing and sales to the workspace.
        register_nav_link(NavLink("Library", "/library/"), after="Campaigns")
        register_enablement_figures()  # committee reviews on the collaboration panel
