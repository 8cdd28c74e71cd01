from datetime import time, timedelta

from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "accord.sla"
    label = "sla"
    verbose_name = "SLA"

    def ready(self) -> None:
        # Imported here: these modules need the app registry ready (models).
        from accord.core.calendar_feed import register_calendar_source
        from accord.core.notify import register_notification_kind
        from accord.core.periodic import Periodic, register_periodic
        from accord.leads.registry import (
            LeadPanel,
            TimelineStory,
            register_lead_panel,
            register_lead_prefetch,
            register_timeline_story,
        )
        from accord.sla import lead_page
        from accord.sla.follow_ups import (
            TASK_DUE_KIND,
            TASK_DUE_LABEL,
            calendar_sla_deadlines_for,
            calendar_tasks_for,
        )
        from accord.sla.selectors import open_clocks_prefetch
        from accord.sla.services import MENTION_KIND

        register_notification_kind(MENTION_KIND, "Mentioned in a note")
        # The lead page is where a rep works: accept, log, reject and notes; the timeline tells SLA's events.
        register_lead_panel(LeadPanel("sla/_lead_work.html", lead_page.lead_work_context, order=10))
        register_timeline_story(TimelineStory(lead_page.STORY_TYPES, lead_page.describe, lead_page.prepare))

        register_periodic(
            Periodic(
                "nurture-recheck",
                "accord.sla.nurture.nurture_recheck_due_task",
                timedelta(days=1),
                time(4, 0),
            ),
            # Follow-up task reminders: one sweep of the tasks whose reminder time has come.
            Periodic(
                "follow-up-reminders", "accord.sla.tasks.follow_ups_remind_due_task", timedelta(minutes=5)
            ),
        )
        register_notification_kind(TASK_DUE_KIND, TASK_DUE_LABEL)
        register_calendar_source("tasks", calendar_tasks_for)
        register_calendar_source("sla_deadlines", calendar_sla_deadlines_for)
        # A lead as the API shows it lists its running clocks; leads sit below SLA and ask through this.
        register_lead_prefetch(open_clocks_prefetch)
