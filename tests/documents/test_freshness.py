"""Documents are never stale: every version change renders a new PDF after commit, a render
that is overtaken is discarded, and readers only ever get the current version's bytes."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from billing import services as billing_services
from documents import jobs, pipeline, services
from documents.models import InvoiceDocument
from documents.tasks import render_invoice_document, sweep_pending_work
from organizations.tenancy import organization_scope
from tests.billing.factories import make_invoice
from tests.documents.helpers import documents_of, pay, pdf_text, reload


def read(document) -> bytes:
    with document.file.open("rb") as fh:
        return fh.read()


def test_issuing_renders_and_stores_the_pdf_of_the_issued_version(issued):
    invoice = reload(issued)
    [document] = documents_of(invoice)
    assert document.invoice_version == invoice.version
    assert document.status == InvoiceDocument.Status.READY
    content = read(document)
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert document.size == len(content)
    assert document.rendered_at is not None
    assert document.is_fresh_for(invoice)
    text = pdf_text(content)
    assert invoice.number in text
    assert "Zoë Ελένη Дмитрий" in text  # the customer snapshot, full Unicode


def test_drafts_are_not_stored(org, business, customer, member, commit):
    with commit():
        draft = make_invoice(organization=org, business=business, customer=customer, actor=member)
        billing_services.invoice_update(organization=org, actor=member, invoice_id=draft.pk, data={"notes": "changed"})
    assert documents_of(draft) == []


def test_the_refresh_after_a_draft_write_reads_nothing(
    org, business, customer, member, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """A draft is never stored, so its after-commit refresh need not read the invoice back."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        draft = make_invoice(organization=org, business=business, customer=customer, actor=member)
        billing_services.invoice_update(organization=org, actor=member, invoice_id=draft.pk, data={"notes": "x"})
    assert len(callbacks) == 2
    with django_assert_num_queries(0):
        for callback in callbacks:
            callback()
    assert documents_of(draft) == []


def test_payment_makes_the_old_document_stale_and_renders_the_new_balance(issued, member, commit):
    before = reload(issued)
    [old] = documents_of(before)
    old_bytes = read(old)
    with commit():
        pay(before, "100.00", actor=member)
    after = reload(issued)
    assert after.version == before.version + 1
    with organization_scope(after.organization):
        old.refresh_from_db()
    assert not old.is_fresh_for(after)  # stale by version, bytes kept for the record
    fresh = services.fresh_document(organization=after.organization, invoice=after)
    assert fresh is not None and fresh.invoice_version == after.version
    new_bytes = read(fresh)
    assert new_bytes != old_bytes
    text = pdf_text(new_bytes)
    assert "€100.00" in text
    balance = f"€{after.balance_due:,.2f}"
    assert balance in text and "Partially paid" in text
    assert f"€{before.balance_due:,.2f}" not in pdf_text(new_bytes).split("Balance due")[-1]


def test_render_task_is_idempotent(issued, monkeypatch):
    invoice = reload(issued)
    [document] = documents_of(invoice)
    calls = []
    monkeypatch.setattr(pipeline, "render_invoice_pdf", lambda data: calls.append(data) or b"%PDF-other")
    assert render_invoice_document.apply(args=[str(invoice.pk), invoice.version]).get() == "ready"
    assert render_invoice_document.apply(args=[str(invoice.pk), invoice.version]).get() == "ready"
    assert calls == []  # a fresh document exists: nothing rendered again
    [again] = documents_of(invoice)
    assert again.pk == document.pk and again.sha256 == document.sha256


def test_a_render_overtaken_by_a_payment_is_discarded(org, business, customer, member, commit, monkeypatch):
    """The render is slow: a payment lands while it runs. The result of the old version must
    not be stored; the payment's own render produces the current document."""
    with commit():
        invoice = make_invoice(organization=org, business=business, customer=customer, actor=member, status="issued")
    invoice = reload(invoice)
    issued_version = invoice.version
    with organization_scope(org):
        InvoiceDocument.objects.filter(invoice=invoice).delete()  # as if the first render never ran
    real_render = services.render_invoice_pdf
    state = {"paid": False}

    def slow_render(data):
        if not state["paid"]:
            state["paid"] = True
            pay(invoice, "10.00", actor=member)  # commits a new version mid-render
        return real_render(data)

    monkeypatch.setattr(pipeline, "render_invoice_pdf", slow_render)
    with commit():
        result = render_invoice_document.apply(args=[str(invoice.pk), issued_version]).get()
    assert result == "discarded"
    current = reload(invoice)
    docs = documents_of(current)
    assert [d.invoice_version for d in docs] == [current.version]  # nothing kept for the old version
    assert docs[0].status == InvoiceDocument.Status.READY
    assert "€10.00" in pdf_text(read(docs[0]))


def test_a_task_for_an_old_version_does_nothing(issued, member, commit, monkeypatch):
    old_version = reload(issued).version
    with commit():
        pay(issued, "5.00", actor=member)
    monkeypatch.setattr(pipeline, "render_invoice_pdf", lambda data: pytest.fail("must not render"))
    assert render_invoice_document.apply(args=[str(issued.pk), old_version]).get() == "discarded"


def test_a_failed_render_is_recorded_and_retried_on_request(issued, member, commit, monkeypatch):
    monkeypatch.setattr(pipeline, "render_invoice_pdf", lambda data: (_ for _ in ()).throw(ValueError("bad font")))
    with commit():
        pay(issued, "5.00", actor=member)
    invoice = reload(issued)
    failed = documents_of(invoice)[-1]
    assert (failed.invoice_version, failed.status) == (invoice.version, InvoiceDocument.Status.FAILED)
    assert "bad font" in failed.error
    monkeypatch.undo()
    with commit():  # asked again at once: not retried yet (a broken render is not hammered)
        services.document_request_render(organization=invoice.organization, invoice_id=invoice.pk)
    with organization_scope(invoice.organization):
        failed.refresh_from_db()
    assert failed.status == InvoiceDocument.Status.FAILED
    with organization_scope(invoice.organization):
        InvoiceDocument.objects.filter(pk=failed.pk).update(updated_at=timezone.now() - timedelta(minutes=1))
    with commit():
        services.document_request_render(organization=invoice.organization, invoice_id=invoice.pk)
    with organization_scope(invoice.organization):
        failed.refresh_from_db()
    assert failed.status == InvoiceDocument.Status.READY and failed.error == ""


def test_other_organization_invoice_is_not_rendered(issued, commit):
    from tests.organizations.factories import OrganizationFactory

    stranger = OrganizationFactory()
    assert services.document_render(organization=stranger, invoice_id=issued.pk) is None
    with pytest.raises(Exception) as excinfo:
        services.preview_pdf(organization=stranger, invoice_id=issued.pk)
    assert excinfo.value.__class__.__name__ == "NotFound"


# --- the sweeper -------------------------------------------------------------------------------


def test_sweeper_enqueues_old_pending_documents_of_current_versions(issued, member, monkeypatch):
    calls = []
    monkeypatch.setattr(jobs, "enqueue_render", lambda invoice_id, version: calls.append((invoice_id, version)))
    pay(issued, "5.00", actor=member)  # no commit callbacks: as if the broker had been down
    invoice = reload(issued)
    with organization_scope(invoice.organization):
        InvoiceDocument.objects.create(
            organization=invoice.organization, invoice=invoice, invoice_version=invoice.version
        )
    now = timezone.now()
    assert sweep_pending_work.apply(kwargs={"now": now}).get()["documents"] == 0  # too young
    later = now + timedelta(minutes=3)
    result = sweep_pending_work.apply(kwargs={"now": later}).get()
    assert result["documents"] == 1
    assert calls == [(invoice.pk, invoice.version)]


def test_sweeper_schedules_a_document_for_a_version_that_has_none(issued, member, commit):
    pay(issued, "5.00", actor=member)  # the after-commit hook never ran (process died)
    invoice = reload(issued)
    assert all(d.invoice_version != invoice.version for d in documents_of(invoice))
    with commit():
        sweep_pending_work.apply(kwargs={"now": timezone.now() + timedelta(minutes=3)}).get()
    fresh = services.fresh_document(organization=invoice.organization, invoice=invoice)
    assert fresh is not None  # eager in tests: scheduled and rendered by the sweep


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twin_renders_of_one_version_store_one_document(org, business, customer, member, monkeypatch, settings):
    """Two workers render the same version at the same moment (a redelivered task): both
    finish, exactly one file is stored, both report the same ready document."""
    import threading
    from pathlib import Path

    from django.db import connection

    invoice = make_invoice(organization=org, business=business, customer=customer, actor=member, status="issued")
    with organization_scope(org):
        InvoiceDocument.objects.filter(invoice=invoice).delete()  # rendered on issue (real commit)
    for path in Path(settings.MEDIA_ROOT).rglob("*.pdf"):
        path.unlink()
    version = reload(invoice).version
    real_render = services.render_invoice_pdf
    barrier = threading.Barrier(2, timeout=30)

    def render_together(data):
        content = real_render(data)
        barrier.wait()  # both have rendered; now both try to store
        return content

    monkeypatch.setattr(pipeline, "render_invoice_pdf", render_together)
    results, errors = [], []

    def work():
        try:
            results.append(services.document_render(organization=org, invoice_id=invoice.pk, version=version))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(results) == 2 and results[0].pk == results[1].pk
    [document] = documents_of(invoice)
    assert document.status == InvoiceDocument.Status.READY
    stored = list(Path(settings.MEDIA_ROOT).rglob("*.pdf"))
    assert len(stored) == 1 and hashlib.sha256(stored[0].read_bytes()).hexdigest() == document.sha256
