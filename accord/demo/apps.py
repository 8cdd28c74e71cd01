from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo company (`accord demo`): it fills every app, so it sits above them all."""

    name = "accord.demo"
    label = "demo"
    verbose_name = "Demo data"
