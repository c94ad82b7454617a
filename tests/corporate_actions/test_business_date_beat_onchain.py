"""The corporate actions beat on a real devnet follows the business date, not the wall clock:
under the manual clock it proposes a coupon months ahead of the system date, takes the record
checkpoint only once the operator has rolled the date to the record date, and pays only on
the payment date."""

from __future__ import annotations

import datetime

from common.business_date import get_business_date
from common.models import BusinessDate
from corporate_actions import services as ca
from corporate_actions.models import CorporateAction, CorporateActionStatus
from corporate_actions.tasks import corporate_actions_tick
from identity.business_date_services import business_date_roll
from identity.roles import OrganisationKind
from tests.corporate_actions.test_corporate_actions_onchain import _allocate, _cash, onchain  # noqa: F401 - fixture
from tests.factories import OrganisationFactory
from tests.issuance.test_onchain import _live_bond, _mint_eur, pump

Status = CorporateActionStatus
PAYMENT = datetime.date(2027, 3, 16)  # a coupon date of tests.factories.make_bond_terms
RECORD = datetime.date(2027, 3, 15)


def _tick_until(chain, action: CorporateAction, *statuses: str) -> CorporateAction:
    """Run the beat's task (as the worker does) until the event reaches one of ``statuses``."""

    def done() -> bool:
        corporate_actions_tick()
        return CorporateAction.objects.get(pk=action.pk).status in statuses

    pump(chain, done, timeout=180)
    return CorporateAction.objects.get(pk=action.pk)


def test_the_beat_records_and_pays_on_the_rolled_business_date(
    onchain,  # noqa: F811 - the fixture imported above
    maker,
    approver,
    operator,
    settings,
):
    chain, cash_issuer = onchain
    settings.GLOAM_BUSINESS_CLOCK = "manual"
    settings.GLOAM_WITHHOLDING_RATES, settings.GLOAM_WITHHOLDING_DEFAULT_PERCENT = {}, "0"
    # The platform's business date two weeks before the record date (set up directly: the
    # roll only moves forward from the system date, which the test does not choose).
    BusinessDate.objects.create(id=1, business_date=datetime.date(2027, 3, 1))
    bond = _live_bond(chain, maker, approver, isin="XS0000000033")
    holder = OrganisationFactory.create(kind=OrganisationKind.CUSTODIAN, legal_name="Holder Fund")
    chain.attach(holder)
    _mint_eur(chain, cash_issuer, holder, 200_000_00)
    _allocate(chain, maker, bond, [{"investor_lei": holder.lei, "quantity": "100000", "price": "100"}])

    # The beat proposes the coupon 15 days ahead of the business date (months ahead of the
    # system date, beyond the 45-day horizon from it).
    assert corporate_actions_tick()["proposed"] >= 1
    coupon = CorporateAction.objects.get(instrument=bond, kind="coupon", payment_date=PAYMENT)
    assert (coupon.source, coupon.status, coupon.record_date) == ("schedule", Status.DRAFT, RECORD)
    ca.corporate_action_submit(actor=maker, action_id=coupon.pk)
    ca.corporate_action_approve(actor=approver, action_id=coupon.pk)  # record date not passed: 1 March

    # Before the record date the beat does nothing to it.
    assert corporate_actions_tick()["recording"] == 0
    assert CorporateAction.objects.get(pk=coupon.pk).status == Status.APPROVED

    business_date_roll(actor=operator, business_date=RECORD)
    coupon = _tick_until(chain, coupon, Status.ENTITLED, Status.FAILED)
    assert coupon.status == Status.ENTITLED, coupon.failure_reason
    assert [(e.holder_name, e.units) for e in coupon.entitlements.all()] == [("Holder Fund", 100)]
    assert corporate_actions_tick()["paying"] == 0  # the payment date is tomorrow

    business_date_roll(actor=operator)  # end of day: the next weekday, the payment date
    assert get_business_date() == PAYMENT
    before = _cash(chain, holder.chain_account.address)
    coupon = _tick_until(chain, coupon, Status.PAID, Status.FAILED)
    assert (coupon.status, coupon.failure_reason) == (Status.PAID, "")
    (entitlement,) = coupon.entitlements.all()
    assert _cash(chain, holder.chain_account.address) - before == int(entitlement.net * 100) > 0
