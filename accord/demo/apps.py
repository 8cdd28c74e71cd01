from django.apps import AppConfig


class DemoConfig(AppConfig):
    """``accord demo``: a believable company built through every app's services (see services.py).

    The top layer: it uses every app and no app uses it. It has no models of its own.
    """

    name = "accord.demo"
    label = "demo"
    verbose_name = "Demo"
