"""Faults on the Kingdee sandbox's red-letter calls (red-letter.md §5 (k)), its simulated buyer, and AES.

Faults fire on red calls as on blue: 503 with nothing recorded, answers held past the client's timeout
(so the INVOICE.RED callback arrives before the answer), callbacks dropped or sent twice, refused tokens,
and the bureau's face check (91400) on REDCONFIRMBILL.APPLY, which the client reads as a session problem.
"""

from __future__ import annotations

import asyncio
from typing import Callable, Iterator

import pytest

from fapiao.connectors.kingdee import KingdeeProvider
from fapiao.connectors.kingdee.errors import classify
from fapiao.connectors.provider import OutcomeKind

from kingdee_support import (APPLY, HALF_OF_LINE_1, RED, REVOKE, OpenApi, Receiver, Sandbox, apply_data, issue_blue,
                             new_serial, red_data)

ApiFactory = Callable[..., OpenApi]
ProviderFactory = Callable[..., KingdeeProvider]
AES = "synthetic-key"


async def test_k_face_check_refuses_the_form_as_a_session_problem_and_records_nothing(
        sandboxes: Callable[..., Sandbox], provider_factory: ProviderFactory, api_factory: ApiFactory) -> None:
    sandbox = sandboxes("--issue-delay-ms", "50", "--face-check-rate", "1")
    provider, api = provider_factory(sandbox), api_factory(sandbox)
    blue, number = await issue_blue(provider)  # blue issuing is not face-checked
    status, reply = await api.exchange(APPLY, apply_data(new_serial("KDR"), number, "2", HALF_OF_LINE_1))
    assert (reply.code, reply.message) == ("91400", "扫脸认证已超时, 请先进行人脸认证后再进行录入操作!")
    assert classify(status, reply).kind is OutcomeKind.SESSION  # how the client reads it
    stats = sandbox.stats()
    assert stats["forms"] == {} and stats["faults"]["face_check"] == 1
    serial = new_serial("KDR")  # ALLE.INVOICE.RED is not face-checked
    assert await api.ok(RED, red_data(serial, blue, number, "02", HALF_OF_LINE_1)) == serial


async def test_k_a_red_answer_held_past_its_callback(sandboxes: Callable[..., Sandbox], receiver: Receiver,
                                                    provider_factory: ProviderFactory, api_factory: ApiFactory) -> None:
    sandbox = sandboxes("--issue-delay-ms", "20", "--callback-url", receiver.url, "--timeout-rate", "1",
                        "--hang-s", "2")
    provider, api = provider_factory(sandbox, timeout_s=5), api_factory(sandbox)
    blue, number = await issue_blue(provider)
    serial = new_serial("KDR")
    call = asyncio.ensure_future(api.ok(RED, red_data(serial, blue, number, "02", HALF_OF_LINE_1)))
    [(callback, data)] = await receiver.raw_for(serial)  # the red's callback comes first …
    assert not call.done() and callback["interfaceCode"] == "INVOICE.RED" and data["invoiceStatus"] == "0"
    assert await call == serial  # … then the answer
    assert sandbox.stats()["faults"]["hung"] >= 2 and sandbox.stats()["issued_per_serial"][serial] == 1


async def test_k_an_unavailable_provider_records_no_red_call(
        sandboxes: Callable[..., Sandbox], api_factory: ApiFactory) -> None:
    sandbox = sandboxes("--fail-rate", "1.0")
    api = api_factory(sandbox)
    before = sandbox.stats()["faults"].get("unavailable", 0)
    form = {"redInfoBillNo": "44012600000000000001", "govRedConfirmBillUuid": "0" * 32}
    for interface, data in [(APPLY, apply_data("KDR-503", "26440000000000000001", "2")),
                            (RED, {"serialNo": "KDR-503", "invoiceNum": "26440000000000000001", "redReason": "02"}),
                            (REVOKE, {"taxNo": "x", "number": form["redInfoBillNo"], "qrlx": "C"})]:
        response = await api.post(interface, data)
        assert response.status_code == 503
    assert await api.invoice("KDR-503") is None
    stats = sandbox.stats()
    assert stats["faults"]["unavailable"] == before + 3 and stats["held"] == 0 and stats["forms"] == {}


async def test_k_a_refused_token_is_refused_on_red_calls_too(sandboxes: Callable[..., Sandbox],
                                                             provider_factory: ProviderFactory,
                                                             api_factory: ApiFactory) -> None:
    sandbox = sandboxes("--issue-delay-ms", "50")
    _, number = await issue_blue(provider_factory(sandbox))
    api = api_factory(sandbox)
    await api.tokens.get()
    sandbox.expire_tokens()
    before = sandbox.stats()
    reply = await api.call(APPLY, apply_data(new_serial("KDR"), number, "2", HALF_OF_LINE_1))
    assert (reply.success, reply.message) == (False, "未进行接口授权")
    after = sandbox.stats()
    assert after["faults"]["tokens_refused"] == before["faults"].get("tokens_refused", 0) + 1
    assert after["forms"] == before["forms"]


@pytest.fixture(scope="module")
def aes_receiver() -> Iterator[Receiver]:
    """A receiver of AES callbacks only (the session's receiver parses Base64 ones)."""
    server = Receiver()
    yield server
    server.stop()


async def test_k_red_callbacks_duplicated_under_aes_and_dropped(
        sandboxes: Callable[..., Sandbox], receiver: Receiver, aes_receiver: Receiver,
        provider_factory: ProviderFactory, api_factory: ApiFactory) -> None:
    twice = sandboxes("--issue-delay-ms", "50", "--callback-url", aes_receiver.url, "--aes-password", AES,
                      "--duplicate-callback-rate", "1.0")
    api = api_factory(twice, aes_password=AES)
    blue, number = await issue_blue(provider_factory(twice, aes_password=AES))
    form = await api.ok(APPLY, apply_data(new_serial("KDR"), number, "2", HALF_OF_LINE_1))  # `data` sealed by AES
    serial = new_serial("KDR")
    await api.ok(RED, red_data(serial, blue, number, "02", HALF_OF_LINE_1, form))
    copies = await aes_receiver.raw_for(serial, count=2, aes_password=AES)
    assert [data["invoiceNum"] for _, data in copies] == [copies[0][1]["invoiceNum"]] * 2
    assert twice.stats()["issued_per_serial"][serial] == 1
    lost = sandboxes("--issue-delay-ms", "50", "--callback-url", receiver.url, "--drop-callback-rate", "1.0")
    api = api_factory(lost)
    blue, number = await issue_blue(provider_factory(lost))
    dropped = lost.stats()["callbacks"]["dropped"]  # the blue's, at least
    serial = new_serial("KDR")
    await api.ok(RED, red_data(serial, blue, number, "02", HALF_OF_LINE_1))
    await api.until(serial, "0")
    assert lost.stats()["callbacks"]["dropped"] == dropped + 1  # and the red's


async def test_the_simulated_buyer_answers_by_itself_and_remarks_override_it(
        sandboxes: Callable[..., Sandbox], provider_factory: ProviderFactory, api_factory: ApiFactory) -> None:
    sandbox = sandboxes("--issue-delay-ms", "50", "--used-rate", "1.0", "--buyer-delay-s", "0.2")
    provider, api = provider_factory(sandbox), api_factory(sandbox)
    _, silent_number = await issue_blue(provider, remark="SANDBOX:BUYER-SILENT")
    silent = await api.ok(APPLY, apply_data(new_serial("KDR"), silent_number, "2", HALF_OF_LINE_1))
    outcomes: dict[str, str] = {}
    for remark, status in [("", "0"), ("SANDBOX:BUYER-REFUSES", "4"), ("SANDBOX:UNUSED", "0")]:
        blue, number = await issue_blue(provider, remark=remark)
        serial = new_serial("KDR")
        await api.ok(RED, red_data(serial, blue, number, "02", HALF_OF_LINE_1))
        outcomes[remark] = (await api.until(serial, status))["redConfirmBillStatus"]
    # --used-rate 1: the buyer confirms (04) or, told so by the remark, refuses (05); an unused blue needs nobody.
    assert outcomes == {"": "04", "SANDBOX:BUYER-REFUSES": "05", "SANDBOX:UNUSED": "01"}
    # The silent buyer's form was raised first, and the others were answered since: it is still waiting …
    assert (await api.form(silent["redInfoBillNo"]) or {})["redConfirmBillStatus"] == "02"
    sandbox.advance(72 * 3600)  # … until it lapses
    assert (await api.form(silent["redInfoBillNo"]) or {})["redConfirmBillStatus"] == "07"
