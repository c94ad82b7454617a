from django.apps import AppConfig


class SettlementConfig(AppConfig):
    name = "settlement"

    def ready(self) -> None:
        from ledger.outbox import register_outcome_handler
        from settlement import netting

        for kind, handler in netting.OUTCOME_HANDLERS.items():
            register_outcome_handler(kind, handler)
