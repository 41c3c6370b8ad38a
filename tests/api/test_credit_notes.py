"""Credit notes, cancel, correct and refunds through the API (api.md "Additions before the
first release")."""

import pytest

from billing.api.serializers import CreditNoteSerializer
from tests.billing.factories import make_invoice

URL = "/api/v1/credit-notes/"
ITEM = {"description": "Work", "quantity": "2", "unit_price": "50.00", "tax_rate": "20"}  # 120.00 with VAT
HOSTING = {"description": "Hosting", "quantity": "1", "unit_price": "30.00", "tax_rate": "0"}


@pytest.fixture
def invoice(org):
    return make_invoice(organization=org, items=[ITEM, HOSTING], status="issued")  # 150.00


def test_credit_note_lifecycle(api, invoice):
    created = api.post(URL, {"invoice": str(invoice.pk), "reason": "Rebate", "items": [HOSTING]}, format="json")
    assert created.status_code == 201, created.content
    note = created.json()
    assert list(note) == [name for name in CreditNoteSerializer().fields if name != "full"]
    assert (note["status"], note["number"], note["total"], note["currency"]) == ("draft", None, "30.00", "EUR")
    assert (note["invoice"], note["invoice_number"]) == (str(invoice.pk), invoice.number)
    detail = f"{URL}{note['id']}/"
    assert api.get(detail).json() == note
    edited = api.patch(detail, {"items": [{**HOSTING, "unit_price": "20.00"}]}, format="json")
    assert edited.status_code == 200 and edited.json()["total"] == "20.00"
    issued = api.post(f"{detail}issue/")
    assert issued.status_code == 200, issued.content
    assert issued.json()["status"] == "issued" and issued.json()["number"].startswith("CN-")
    assert api.patch(detail, {"reason": "x"}, format="json").status_code == 409
    assert api.delete(detail).status_code == 409
    assert api.post(f"{detail}issue/").status_code == 409
    body = api.get(f"/api/v1/invoices/{invoice.pk}/").json()
    assert (body["credited_total"], body["balance_due"], body["credit_notes"]) == ("20.00", "130.00", [note["id"]])


def test_drafts_are_deleted_and_lists_filter_by_invoice_and_status(api, org, invoice):
    other = make_invoice(organization=org, status="issued")
    draft = api.post(URL, {"invoice": str(invoice.pk), "items": [HOSTING]}, format="json").json()
    full = api.post(URL, {"invoice": str(other.pk), "full": True}, format="json").json()
    api.post(f"{URL}{full['id']}/issue/")
    assert [row["id"] for row in api.get(URL, {"invoice": str(invoice.pk)}).json()["results"]] == [draft["id"]]
    assert [row["id"] for row in api.get(URL, {"status": "issued"}).json()["results"]] == [full["id"]]
    assert api.get(URL, {"status": "bogus"}).status_code == 400
    assert api.delete(f"{URL}{draft['id']}/").status_code == 204
    assert api.get(f"{URL}{draft['id']}/").status_code == 404


def test_a_credit_above_what_is_left_is_400_on_items(api, invoice):
    response = api.post(
        URL, {"invoice": str(invoice.pk), "items": [ITEM, {**HOSTING, "unit_price": "30.01"}]}, format="json"
    )
    assert response.status_code == 400
    assert "what is left to credit" in response.json()["items"][0]
    wrong_rate = api.post(URL, {"invoice": str(invoice.pk), "items": [{**HOSTING, "tax_rate": "7"}]}, format="json")
    assert wrong_rate.status_code == 400 and "tax_rate" in wrong_rate.json()["items"][0]


@pytest.mark.parametrize("body", [{"full": True}, {"items": [HOSTING]}, {}])
def test_every_field_error_of_a_new_credit_note_is_400_and_nothing_is_saved(api, invoice, body):
    response = api.post(URL, {"invoice": str(invoice.pk), "reason": "a\u0006b", **body}, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()
    assert errors["reason"] == ["Text may not contain control characters (U+0006)."]
    assert ("items" in errors) == (body == {})
    assert api.get(URL, {"invoice": str(invoice.pk)}).json()["results"] == []


def test_cancel_answers_201_with_the_credit_note(api, invoice):
    response = api.post(f"/api/v1/invoices/{invoice.pk}/cancel/", {"reason": "Ordered twice"}, format="json")
    assert response.status_code == 201, response.content
    note = response.json()
    assert (note["status"], note["total"], note["reason"]) == ("issued", "150.00", "Ordered twice")
    assert api.get(f"/api/v1/invoices/{invoice.pk}/").json()["status"] == "credited"
    assert api.post(f"/api/v1/invoices/{invoice.pk}/cancel/", {}, format="json").status_code == 409


def test_correct_answers_201_with_the_credit_note_and_the_new_draft(api, invoice):
    response = api.post(f"/api/v1/invoices/{invoice.pk}/correct/", {"reason": "Typo"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"credit_note", "invoice"}
    draft = body["invoice"]
    assert (draft["status"], draft["replaces"], draft["total"]) == ("draft", str(invoice.pk), "150.00")
    old = api.get(f"/api/v1/invoices/{invoice.pk}/").json()
    assert (old["status"], old["replaced_by"], old["credit_notes"]) == (
        "credited",
        draft["id"],
        [body["credit_note"]["id"]],
    )
    fixed = api.patch(f"/api/v1/invoices/{draft['id']}/", {"items": [HOSTING]}, format="json")
    assert fixed.status_code == 200 and fixed.json()["total"] == "30.00"


def test_refund_of_what_the_customer_is_owed(api, org, invoice):
    payments = "/api/v1/payments/"
    assert api.post(payments, {"invoice": str(invoice.pk), "amount": "150.00"}, format="json").status_code == 201
    api.post(f"/api/v1/invoices/{invoice.pk}/cancel/", {}, format="json")
    assert api.get(f"/api/v1/invoices/{invoice.pk}/").json()["balance_due"] == "-150.00"
    too_much = api.post(payments, {"invoice": str(invoice.pk), "amount": "150.01", "kind": "refund"}, format="json")
    assert too_much.status_code == 400 and "owed" in too_much.json()["amount"][0]
    refund = api.post(payments, {"invoice": str(invoice.pk), "amount": "150.00", "kind": "refund"}, format="json")
    assert refund.status_code == 201 and refund.json()["kind"] == "refund"
    body = api.get(f"/api/v1/invoices/{invoice.pk}/").json()
    assert (body["amount_refunded"], body["balance_due"], body["status"]) == ("150.00", "0.00", "credited")
    assert api.get(payments, {"kind": "refund"}).json()["count"] == 1
    bad_kind = api.post(payments, {"invoice": str(invoice.pk), "amount": "1", "kind": "gift"}, format="json")
    assert bad_kind.status_code == 400 and "kind" in bad_kind.json()


def test_read_only_keys_cannot_credit(ro_api, invoice):
    assert ro_api.post(URL, {"invoice": str(invoice.pk), "full": True}, format="json").status_code == 403
    assert ro_api.post(f"/api/v1/invoices/{invoice.pk}/cancel/", {}, format="json").status_code == 403


def test_cancel_after_partial_credits_credits_the_last_cent_and_rows_are_limited(api, org):
    pen = {"description": "Pen", "quantity": "1", "unit_price": "0.33", "tax_rate": "19"}  # 0.39 alone
    invoice = make_invoice(organization=org, items=[pen, pen, pen], status="issued")  # 0.99 + 0.19
    for _ in range(2):
        note = api.post(URL, {"invoice": str(invoice.pk), "items": [pen]}, format="json").json()
        assert api.post(f"{URL}{note['id']}/issue/").json()["total"] == "0.39"
    too_much = api.post(URL, {"invoice": str(invoice.pk), "items": [{**pen, "unit_price": "0.34"}]}, format="json")
    assert too_much.status_code == 400 and "0.33 EUR before VAT and 0.07 EUR of VAT" in too_much.json()["items"][0]
    rest = api.post(f"/api/v1/invoices/{invoice.pk}/cancel/", {}, format="json")
    assert rest.status_code == 201, rest.content
    assert (rest.json()["subtotal"], rest.json()["tax_total"], rest.json()["total"]) == ("0.33", "0.07", "0.40")
    body = api.get(f"/api/v1/invoices/{invoice.pk}/").json()
    assert (body["status"], body["credited_total"], body["balance_due"]) == ("credited", "1.18", "0.00")
