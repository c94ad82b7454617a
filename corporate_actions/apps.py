from django.apps import AppConfig


class CorporateActionsConfig(AppConfig):
    name = "corporate_actions"

    def ready(self) -> None:
        from corporate_actions import market_claims, services, voting
        from ledger.outbox import register_outcome_handler

        handlers = {
            **voting.OUTCOME_HANDLERS,
            **services.OUTCOME_HANDLERS,
            **market_claims.OUTCOME_HANDLERS,
        }
        for kind, handler in handlers.items():
            register_outcome_handler(kind, handler)
