from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"

    def ready(self) -> None:
        from compliance import audit, disclosure

        audit.register_handlers()
        disclosure.register_handlers()
