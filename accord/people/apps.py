from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "accord.people"
    label = "people"
    verbose_name = "People"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from accord.people.auth_security import on_user_logged_in

        user_logged_in.connect(on_user_logged_in, dispatch_uid="accord.people.totp_session_state")
