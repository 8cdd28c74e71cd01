from datetime import timedelta

from django.apps import AppConfig


class IntelligenceConfig(AppConfig):
    name = "accord.intelligence"
    label = "intelligence"
    verbose_name = "Intelligence"

    def ready(self) -> None:
        from accord.core.calendar_feed import register_calendar_source
        from accord.core.notify import register_notification_kind
        from accord.core.periodic import Periodic, register_periodic
        from accord.intelligence import touch_questions
        from accord.intelligence.collaboration import register_own_figures
        from accord.intelligence.selectors import ride_along_calendar
        from accord.intelligence.services import touch_answers_take
        from accord.people.models import Role
        from accord.people.navigation import NavLink, register_nav_link
        from accord.sla.touch_answers import TouchAnswerTaker, register_touch_answer_taker

        register_notification_kind("pulse_survey", "Pulse survey to answer or its results")
        register_notification_kind("ride_along", "Ride-along asked for, decided or proposed")
        register_touch_answer_taker(
            TouchAnswerTaker(
                record=touch_answers_take,
                form_part=touch_questions.form_part,
                read_form=touch_questions.read_form,
            )
        )
        register_periodic(
            Periodic("pulse-surveys", "accord.intelligence.tasks.surveys_advance_task", timedelta(hours=1))
        )
        register_own_figures()
        register_calendar_source("intelligence", ride_along_calendar)
        register_nav_link(NavLink("Intelligence", "/intelligence/"), after="Campaigns")
        register_nav_link(
            NavLink(
                "Collaboration",
                "/intelligence/collaboration/",
                frozenset({Role.ADMIN, Role.MARKETING_HEAD, Role.SALES_HEAD, Role.EXECUTIVE}),
            ),
            after="Intelligence",
        )
