from django.apps import AppConfig


class SettlementConfig(AppConfig):
    name = "settlement"

    def ready(self) -> None:
        from corporate_actions.hooks import SettlementHooks, register_settlement_hooks
        from ledger.outbox import register_outcome_handler
        from proving.hooks import register_job_finished
        from settlement import netting, selectors, services, shielded, shielded_dvp

        handlers = {**netting.OUTCOME_HANDLERS, **shielded.OUTCOME_HANDLERS, **shielded_dvp.OUTCOME_HANDLERS}
        for kind, handler in handlers.items():
            register_outcome_handler(kind, handler)
        register_job_finished(shielded.on_proof_job_finished)
        register_job_finished(shielded_dvp.on_proof_job_finished)
        register_settlement_hooks(
            SettlementHooks(
                instructions_in_a_cycle=selectors.instructions_in_a_cycle,
                open_instructions_cancel=services.open_instructions_cancel,
                settled_buys_after_record=selectors.settled_buys_after_record,
            )
        )
