from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The embedded demo (``GLOAM_DEMO``): its organisations and users (``seed_demo``), the
    demo regulator's key and the cash float. Above every other app (DESIGN.md, App layers):
    seeding the demo composes them all."""

    name = "demo"
    verbose_name = "Demo data"
