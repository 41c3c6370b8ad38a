from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from audit.models import AuditEntry
from billing import services
from billing.exceptions import BillingValidationError, StateConflict
from billing.models import (
    Business,
    CreditNote,
    CreditNoteItem,
    Customer,
    Invoice,
    InvoiceItem,
    NumberSequence,
    Payment,
    RecurringInvoice,
    RecurringInvoiceLine,
    RecurringRun,
)
from billora.admin_site import BigTableAdmin, ReadOnlyAdmin, ReadOnlyTabularInline, run_service_for_each
from billora.templatetags.formatting import money as format_money
from organizations.admin import OrganizationAdmin, count_per_organization
from organizations.models import Organization

TENANT_TIMES = ("organization", "created_at", "updated_at")
# The billing services' refusals, told to the staff user per object like the generic ones.
BILLING_REFUSALS = (*ReadOnlyAdmin.service_refusals, BillingValidationError, StateConflict)


def money_field(field, *, currency_of=lambda obj: obj.currency):
    """A read-only column showing ``field`` with exactly its currency's places (stored money
    has 3 places for every currency)."""

    @admin.display(description=field.replace("_", " "), ordering=field)
    def show(modeladmin, obj):
        return format_money(getattr(obj, field), currency_of(obj))

    show.__name__ = f"{field}_money"
    return show


def _invoice_currency(obj):
    return obj.invoice.currency


@admin.register(Business)
class BusinessAdmin(ReadOnlyAdmin):
    list_display = ("name", "organization", "legal_name", "vat_id", "country", "default_currency")
    list_filter = ("default_currency", "country", "organization")
    list_select_related = ("organization",)
    search_fields = ("name", "legal_name", "email", "tax_id", "vat_id", "organization__name", "organization__slug")
    date_hierarchy = "created_at"
    readonly_fields = TENANT_TIMES


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ("name", "email", "organization", "vat_id", "country", "currency", "archived", "created_at")
    list_filter = ("archived", "currency", "country", "organization")
    list_select_related = ("organization",)
    search_fields = ("name", "email", "tax_id", "vat_id", "organization__name", "organization__slug")
    date_hierarchy = "created_at"
    readonly_fields = TENANT_TIMES


class InvoiceItemInline(ReadOnlyTabularInline):
    model = InvoiceItem
    fields = (
        "position",
        "description",
        "quantity",
        "unit_price",
        "tax_rate",
        "vat_category",
        "line_net_money",
        "line_discount_money",
    )
    readonly_fields = fields
    show_change_link = False
    line_net_money = money_field("line_net", currency_of=_invoice_currency)
    line_discount_money = money_field("line_discount", currency_of=_invoice_currency)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("invoice")


def void_link(payment):
    if payment.pk is None or payment.voided:
        return ""
    return format_html('<a href="{}">Void…</a>', reverse("admin:billing_payment_void", args=[payment.pk]))


class PaymentInline(ReadOnlyTabularInline):
    model = Payment
    fields = (
        "date",
        "amount_money",
        "method",
        "reference",
        "recorded_by_label",
        "voided",
        "void_reason",
        "voided_by_label",
        "void",
    )
    readonly_fields = fields
    amount_money = money_field("amount", currency_of=_invoice_currency)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("invoice")

    @admin.display(description="")
    def void(self, obj):
        return void_link(obj)


@admin.register(Invoice)
class InvoiceAdmin(BigTableAdmin):
    """View-only: money, status, number, snapshots and version are written by the billing
    services alone (calc, numbering, audit). Support acts through actions that call services;
    the apps above billing add theirs by registering a subclass (documents/admin.py)."""

    list_display = (
        "__str__",
        "organization",
        "customer",
        "business",
        "status",
        "currency",
        "total_money",
        "balance_due_money",
        "issue_date",
        "due_date",
        "version",
    )
    list_filter = ("status", "currency", "organization")
    list_select_related = ("organization", "customer", "business")
    search_fields = (
        "number",
        "customer__name",
        "customer__email",
        "organization__name",
        "organization__slug",
    )
    date_hierarchy = "issue_date"
    autocomplete_fields = ("customer", "business")
    raw_id_fields = ("created_by_user", "created_by_api_key")
    fieldsets = (
        (None, {"fields": ("organization", "number", "status", "version", "business", "customer", "currency")}),
        ("Dates", {"fields": ("issue_date", "due_date", "issued_at", "sent_at", "voided_at")}),
        (
            "Money",
            {
                "fields": (
                    "discount_type",
                    "discount_value",
                    "subtotal_money",
                    "discount_total_money",
                    "tax_total_money",
                    "total_money",
                    "amount_paid_money",
                    "credited_total_money",
                    "amount_refunded_money",
                    "balance_due_money",
                    "tax_breakdown",
                    "vat_exemption_reasons",
                )
            },
        ),
        ("Text", {"fields": ("notes", "terms")}),
        ("Snapshots (as issued)", {"classes": ("collapse",), "fields": ("business_snapshot", "customer_snapshot")}),
        ("Origin", {"fields": ("created_by_user", "created_by_api_key", "created_at", "updated_at")}),
        ("Audit trail", {"fields": ("audit_trail",)}),
    )
    readonly_fields = (
        "organization",
        "created_at",
        "updated_at",
        "audit_trail",
        "subtotal_money",
        "discount_total_money",
        "tax_total_money",
        "total_money",
        "amount_paid_money",
        "credited_total_money",
        "amount_refunded_money",
        "balance_due_money",
    )
    subtotal_money = money_field("subtotal")
    discount_total_money = money_field("discount_total")
    tax_total_money = money_field("tax_total")
    total_money = money_field("total")
    amount_paid_money = money_field("amount_paid")
    credited_total_money = money_field("credited_total")
    amount_refunded_money = money_field("amount_refunded")
    balance_due_money = money_field("balance_due")
    inlines = (InvoiceItemInline, PaymentInline)
    service_refusals = BILLING_REFUSALS

    @admin.display(description="audit trail")
    def audit_trail(self, obj):
        """The entries about this invoice and its payments, newest first."""
        payment_ids = [str(pk) for pk in Payment.objects.filter(invoice=obj).values_list("pk", flat=True)]
        entries = (
            AuditEntry.objects.filter(organization_id=obj.organization_id)
            .filter(
                Q(target_type="invoice", target_id=str(obj.pk)) | Q(target_type="payment", target_id__in=payment_ids)
            )
            .order_by("-sequence")
        )
        rows = format_html_join(
            "",
            "<tr><td><a href='{}'>{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    reverse("admin:audit_auditentry_change", args=[entry.pk]),
                    entry.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                    entry.action,
                    entry.actor_label,
                    "support" if entry.support_access else "",
                    ", ".join(sorted(entry.changes)) if isinstance(entry.changes, dict) else "",
                )
                for entry in entries
            ),
        )
        if not rows:
            return "No audit entries."
        return format_html(
            "<table><thead><tr><th>time</th><th>action</th><th>actor</th><th></th><th>changed</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            rows,
        )


@admin.register(InvoiceItem)
class InvoiceItemAdmin(BigTableAdmin):
    list_display = (
        "__str__",
        "invoice",
        "organization",
        "position",
        "quantity",
        "unit_price",
        "tax_rate",
        "vat_category",
        "line_net_money",
    )
    line_net_money = money_field("line_net", currency_of=_invoice_currency)
    list_select_related = ("invoice", "organization")
    list_filter = ("organization",)
    search_fields = ("description", "invoice__number", "organization__slug")
    date_hierarchy = "created_at"
    raw_id_fields = ("invoice",)
    readonly_fields = TENANT_TIMES


class VoidPaymentForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Kept on the payment and in the audit log; the customer's organization can read it.",
    )


@admin.register(Payment)
class PaymentAdmin(BigTableAdmin):
    list_display = (
        "invoice",
        "organization",
        "kind",
        "amount_money",
        "currency",
        "date",
        "method",
        "reference",
        "recorded_by_label",
        "voided",
        "void",
    )
    list_filter = ("voided", "kind", "method", "organization")
    list_select_related = ("invoice", "organization")
    search_fields = (
        "invoice__number",
        "reference",
        "invoice__customer__name",
        "invoice__customer__email",
        "organization__slug",
    )
    date_hierarchy = "date"
    raw_id_fields = ("invoice", "recorded_by_user", "recorded_by_api_key", "voided_by_user")
    readonly_fields = (*TENANT_TIMES, "void")

    actions = ("void_payments",)
    service_refusals = BILLING_REFUSALS
    amount_money = money_field("amount", currency_of=_invoice_currency)

    @admin.display(description="currency", ordering="invoice__currency")
    def currency(self, obj):
        return obj.invoice.currency

    @admin.display(description="")
    def void(self, obj):
        return void_link(obj)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/void/",
                self.admin_site.admin_view(self.void_view),
                name="billing_payment_void",
            ),
            *super().get_urls(),
        ]

    @admin.action(description="Void selected payments (asks for a reason)", permissions=["support"])
    def void_payments(self, request, queryset):
        """An intermediate page asks for the reason; then ``billing.services.payment_void`` runs
        per payment (it recomputes the invoice and writes the audit entry)."""
        return self._void(request, queryset, from_action=True)

    def void_view(self, request, object_id):
        """The same reason page for one payment, linked from the invoice and payment pages."""
        if not self.has_support_permission(request):
            raise PermissionDenied
        payment = self.get_object(request, unquote(object_id))
        if payment is None:
            raise Http404("No such payment.")
        response = self._void(request, [payment], from_action=False)
        return response or redirect("admin:billing_invoice_change", payment.invoice_id)

    def _void(self, request, payments, *, from_action):
        form = VoidPaymentForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            run_service_for_each(
                self,
                request,
                payments,
                lambda payment: services.payment_void(
                    organization=payment.organization, actor=request.user, payment_id=payment.pk, reason=reason
                ),
                verb="voided",
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Void payments",
            "opts": self.model._meta,
            "form": form,
            "payments": payments,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME if from_action else None,
            "action": "void_payments",
        }
        return TemplateResponse(request, "admin/billing/payment/void_payments.html", context)

    def get_queryset(self, request):
        # __str__ (and the change page title) read invoice.currency; actions read the organization.
        return super().get_queryset(request).select_related("invoice", "organization")


class CreditNoteItemInline(ReadOnlyTabularInline):
    model = CreditNoteItem
    fields = ("position", "description", "quantity", "unit_price", "tax_rate", "vat_category", "line_net_money")
    readonly_fields = fields
    show_change_link = False
    line_net_money = money_field("line_net", currency_of=lambda item: item.credit_note.currency)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("credit_note")


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdmin):
    """View-only, money included: credit notes are written by the billing services alone."""

    list_display = (
        "__str__",
        "organization",
        "invoice",
        "status",
        "currency",
        "total_money",
        "issue_date",
        "reason",
    )
    list_filter = ("status", "currency", "organization")
    list_select_related = ("organization", "invoice")
    search_fields = ("number", "invoice__number", "organization__name", "organization__slug")
    raw_id_fields = ("invoice", "created_by_user", "created_by_api_key")
    readonly_fields = (*TENANT_TIMES, "subtotal_money", "discount_total_money", "tax_total_money", "total_money")
    exclude = ("subtotal", "discount_total", "tax_total", "total")
    subtotal_money = money_field("subtotal")
    discount_total_money = money_field("discount_total")
    tax_total_money = money_field("tax_total")
    total_money = money_field("total")
    inlines = (CreditNoteItemInline,)


@admin.register(NumberSequence)
class NumberSequenceAdmin(ReadOnlyAdmin):
    list_display = ("business", "organization", "kind", "year", "last_value")
    list_select_related = ("business", "organization")
    list_filter = ("organization",)
    search_fields = ("business__name", "organization__slug")
    readonly_fields = TENANT_TIMES


class RecurringInvoiceLineInline(ReadOnlyTabularInline):
    model = RecurringInvoiceLine
    fields = ("position", "description", "quantity", "unit_price", "tax_rate", "vat_category")
    readonly_fields = fields
    show_change_link = False


class RecurringRunInline(ReadOnlyTabularInline):
    model = RecurringRun
    fields = ("period", "run_date", "status", "invoice", "email_queued", "note", "created_at")
    readonly_fields = fields
    ordering = ("-period",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("invoice")


@admin.register(RecurringInvoice)
class RecurringInvoiceAdmin(ReadOnlyAdmin):
    """Templates and their run history, view-only; support can pause and resume (services)."""

    list_display = (
        "__str__",
        "organization",
        "customer",
        "frequency",
        "mode",
        "paused",
        "next_run_date",
        "last_period",
        "skipped_count",
    )
    list_filter = ("paused", "frequency", "mode", "organization")
    list_select_related = ("organization", "customer")
    search_fields = ("name", "customer__name", "organization__name", "organization__slug")
    readonly_fields = TENANT_TIMES
    inlines = (RecurringInvoiceLineInline, RecurringRunInline)
    actions = ("pause", "resume")
    service_refusals = BILLING_REFUSALS

    @admin.action(description="Pause selected recurring invoices", permissions=["support"])
    def pause(self, request, queryset):
        run_service_for_each(
            self,
            request,
            queryset.select_related("organization"),
            lambda template: services.recurring_invoice_pause(
                organization=template.organization, actor=request.user, template_id=template.pk
            ),
            verb="paused",
        )

    @admin.action(description="Resume selected recurring invoices", permissions=["support"])
    def resume(self, request, queryset):
        run_service_for_each(
            self,
            request,
            queryset.select_related("organization"),
            lambda template: services.recurring_invoice_resume(
                organization=template.organization, actor=request.user, template_id=template.pk
            ),
            verb="resumed",
        )


@admin.register(RecurringRun)
class RecurringRunAdmin(BigTableAdmin):
    list_display = ("__str__", "organization", "template", "period", "run_date", "status", "invoice", "email_queued")
    list_filter = ("status", "organization")
    list_select_related = ("organization", "template", "invoice")
    search_fields = ("template__name", "invoice__number", "organization__slug")
    date_hierarchy = "period"
    raw_id_fields = ("template", "invoice")
    readonly_fields = TENANT_TIMES


class OrganizationWithBillingAdmin(OrganizationAdmin):
    """organizations' page, with how many customers and invoices each organization has."""

    list_display = (*OrganizationAdmin.list_display, "customer_count", "invoice_count")
    readonly_fields = (*OrganizationAdmin.readonly_fields, "customer_count", "invoice_count")
    fields = (*OrganizationAdmin.fields, "customer_count", "invoice_count")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                customer_total=count_per_organization(Customer),
                invoice_total=count_per_organization(Invoice),
            )
        )

    @admin.display(description="customers", ordering="customer_total")
    def customer_count(self, obj):
        return obj.customer_total

    @admin.display(description="invoices", ordering="invoice_total")
    def invoice_count(self, obj):
        return obj.invoice_total


admin.site.unregister(Organization)
admin.site.register(Organization, OrganizationWithBillingAdmin)
