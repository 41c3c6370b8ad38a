"""Web pages for team members: dashboard, customers, invoices, payments, businesses, recurring
invoices.

Thin by design: views read through ``billing.selectors`` and write through
``billing.services``; the tenancy middleware has already resolved the organization and
opened its scope, and every lookup still filters by it explicitly. Forms only translate
what the browser sends; a service's ``BillingValidationError`` is shown next to the fields its
paths name (``items.3.quantity`` on the fourth line), a ``StateConflict`` as a message.
"""

import csv
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from audit import selectors as audit_selectors
from audit.models import AuditEntry
from billing import calc, recurrence, selectors, services, validation
from billing.exceptions import FINAL_MESSAGE, BillingValidationError, StateConflict
from billing.forms import (
    NON_FIELD_KEYS,
    BusinessForm,
    CorrectionForm,
    CustomerFilterForm,
    CustomerForm,
    InvoiceFilterForm,
    InvoiceForm,
    ItemRow,
    PaymentForm,
    RecurringInvoiceForm,
    RefundForm,
    VoidPaymentForm,
    apply_editor_action,
    attach_item_errors,
    decimal_from_input,
    new_row_values,
    parse_item_rows,
    path_label,
    rows_from_items,
    typed_decimal,
)
from billing.models import (
    CREDITABLE_STATUSES,
    OPEN_STATUSES,
    Business,
    CreditNote,
    Customer,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentKind,
    RecurringFrequency,
    RecurringInvoice,
    RecurringMode,
    VatCategory,
)
from billing.statements import customer_statement
from billora.downloads import signed_redirect
from billora.formatting import formats_for
from organizations.mixins import OrganizationViewMixin
from organizations.permissions import Capability

PAGE_SIZE = 25
HISTORY_LIMIT = 20
PAGE_SIZES = (10, 25, 50, 100)


def _paginate(request, queryset):
    """One COUNT and one page query, whatever the page; a bad ``?page=`` shows page 1 or the last.
    ``?page_size=`` may pick 10, 25, 50 or 100 rows."""
    try:
        per_page = int(request.GET.get("page_size", PAGE_SIZE))
    except ValueError:
        per_page = PAGE_SIZE
    if per_page not in PAGE_SIZES:
        per_page = PAGE_SIZE
    paginator = Paginator(queryset, per_page)
    return paginator.get_page(request.GET.get("page"))


def _org_url(name, organization, **kwargs):
    return reverse(name, kwargs={"org_slug": organization.slug, **kwargs})


def _is_htmx(request):
    return bool(getattr(request, "htmx", False))


# --- Dashboard --------------------------------------------------------------------------


class DashboardView(OrganizationViewMixin, TemplateView):
    template_name = "billing/dashboard.html"

    def get_context_data(self, **kwargs):
        org = self.organization
        context = super().get_context_data(**kwargs)
        counts = Business.objects.filter(organization=org).aggregate(n=Count("pk"))
        context["has_business"] = counts["n"] > 0
        context["has_customer"] = Customer.objects.filter(organization=org).exists()
        # Ordered by the (organization, -created_at) index: a bare exists() lets PostgreSQL pick a
        # sequential scan, which an organization without invoices pays for across every tenant.
        newest = Invoice.objects.filter(organization=org).order_by("-created_at").values_list("pk", flat=True)
        context["has_invoice"] = newest.first() is not None
        context["figures"] = selectors.dashboard_figures(organization=org)
        context["charts"] = [
            _bar_chart(series) for series in selectors.invoiced_vs_paid_by_month(organization=org, months=12)
        ]
        context["overdue_invoices"] = list(
            selectors.invoice_list(organization=org, overdue=True, ordering="due_date")[:10]
        )
        context["activity"] = list(audit_selectors.entry_list(organization=org)[:10])
        context["upcoming_reminders"] = selectors.upcoming_reminders(organization=org, days=7, limit=10)
        context["today"] = org.local_today()
        return context


CHART_WIDTH, CHART_HEIGHT, CHART_LEFT, CHART_BOTTOM, CHART_TOP = 720, 240, 104, 28, 12  # room for "CHF1,828.52"


def _bar_chart(series):
    """Pixel geometry of a grouped bar chart (invoiced vs paid per month), drawn as SVG.

    Only positions are computed here; the amounts shown in labels stay Decimal."""
    months = series["months"]
    peak = max([m["invoiced"] for m in months] + [m["paid"] for m in months] + [Decimal(0)])
    plot_height = CHART_HEIGHT - CHART_BOTTOM - CHART_TOP
    slot = (CHART_WIDTH - CHART_LEFT) / max(len(months), 1)
    bar = max(slot / 2 - 4, 2)

    def height(amount):
        return 0 if not peak else int(Decimal(plot_height) * amount / peak)

    bars = []
    for i, month in enumerate(months):
        x = CHART_LEFT + i * slot + 2
        h_inv, h_paid = height(month["invoiced"]), height(month["paid"])
        bars.append(
            {
                **month,
                "x_invoiced": round(x, 1),
                "x_paid": round(x + bar + 2, 1),
                "y_invoiced": CHART_TOP + plot_height - h_inv,
                "y_paid": CHART_TOP + plot_height - h_paid,
                "h_invoiced": h_inv,
                "h_paid": h_paid,
                "label_x": round(x + bar + 1, 1),
            }
        )
    return {
        "currency": series["currency"],
        "bars": bars,
        "bar_width": round(bar, 1),
        "peak": peak,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "top": CHART_TOP,
        "baseline": CHART_TOP + plot_height,
        "label_y": CHART_HEIGHT - 8,
        "has_data": bool(peak),
    }


# --- Businesses (settings) --------------------------------------------------------------


class BusinessListView(OrganizationViewMixin, TemplateView):
    template_name = "billing/business_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["businesses"] = list(Business.objects.filter(organization=self.organization).order_by("name"))
        return context


BUSINESS_FIELDS = [name for name in BusinessForm.base_fields if name != "logo"]


class BusinessFormView(OrganizationViewMixin, View):
    required_capability = Capability.BUSINESSES_MANAGE
    template_name = "billing/business_form.html"

    def get_business(self):
        business_id = self.kwargs.get("business_id")
        if business_id is None:
            return None
        return get_object_or_404(Business, organization=self.organization, pk=business_id)

    def get(self, request, *args, **kwargs):
        business = self.get_business()
        if business is None:
            form = BusinessForm(initial={"default_currency": self.organization.default_currency})
        else:
            form = BusinessForm(initial={name: getattr(business, name) for name in BusinessForm.base_fields})
        return self.render(form, business)

    def post(self, request, *args, **kwargs):
        business = self.get_business()
        form = BusinessForm(request.POST, request.FILES)
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in BUSINESS_FIELDS}
            logo = form.cleaned_data.get("logo")
            if logo is False:  # "clear" ticked
                data["logo"] = None
            elif isinstance(logo, UploadedFile):  # else: unchanged
                data["logo"] = logo
            try:
                if business is None:
                    business = services.business_create(organization=self.organization, actor=request.user, data=data)
                    messages.success(request, _("Business “%(name)s” added.") % {"name": business.name})
                else:
                    business = services.business_update(
                        organization=self.organization, actor=request.user, business_id=business.pk, data=data
                    )
                    messages.success(request, _("Business “%(name)s” saved.") % {"name": business.name})
                return redirect(_org_url("business_list", self.organization))
            except BillingValidationError as exc:
                form.add_service_errors(exc)
        return self.render(form, business, status=400)

    def render(self, form, business, status=200):
        return TemplateResponse(self.request, self.template_name, {"form": form, "business": business}, status=status)


class BusinessLogoView(OrganizationViewMixin, View):
    """The uploaded logo, for members only (media files are not served publicly)."""

    def get(self, request, org_slug, business_id):
        business = get_object_or_404(Business, organization=self.organization, pk=business_id)
        if not business.logo:
            raise Http404("No logo.")
        name = business.logo.name.lower()
        content_type = "image/png" if name.endswith(".png") else "image/jpeg"
        signed = signed_redirect(business.logo, content_type=content_type)
        if signed is not None:
            return signed
        try:
            handle = business.logo.open("rb")
        except FileNotFoundError:
            raise Http404("No logo.") from None
        response = FileResponse(handle, content_type=content_type)
        response["Cache-Control"] = "private, max-age=300"
        response["X-Content-Type-Options"] = "nosniff"
        return response


# --- Customers --------------------------------------------------------------------------


class CustomerListView(OrganizationViewMixin, TemplateView):
    template_name = "billing/customer_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filters = CustomerFilterForm(self.request.GET)
        filters.is_valid()
        search = filters.cleaned_data.get("q") or None
        archived = {"": False, "true": True, "all": None}.get(filters.cleaned_data.get("archived") or "", False)
        customers = selectors.customer_list(organization=self.organization, search=search, archived=archived)
        context["filters"] = filters
        context["page_obj"] = _paginate(self.request, customers)
        context["is_filtered"] = bool(search) or archived is not False
        context["has_any_customer"] = context["page_obj"].paginator.count > 0 or (
            context["is_filtered"] and Customer.objects.filter(organization=self.organization).exists()
        )
        return context


class CustomerFormView(OrganizationViewMixin, View):
    required_capability = Capability.BILLING_WRITE
    template_name = "billing/customer_form.html"

    def get_customer(self):
        customer_id = self.kwargs.get("customer_id")
        if customer_id is None:
            return None
        return get_object_or_404(Customer, organization=self.organization, pk=customer_id)

    def get(self, request, *args, **kwargs):
        customer = self.get_customer()
        if customer is None:
            form = CustomerForm(initial={"currency": self.organization.default_currency})
        else:
            form = CustomerForm(initial={name: getattr(customer, name) for name in CustomerForm.base_fields})
        return self.render(form, customer)

    def post(self, request, *args, **kwargs):
        customer = self.get_customer()
        form = CustomerForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                if customer is None:
                    customer = services.customer_create(organization=self.organization, actor=request.user, data=data)
                    messages.success(request, _("Customer “%(name)s” added.") % {"name": customer.name})
                else:
                    customer = services.customer_update(
                        organization=self.organization, actor=request.user, customer_id=customer.pk, data=data
                    )
                    messages.success(request, _("Customer “%(name)s” saved.") % {"name": customer.name})
                next_url = request.POST.get("next")
                if next_url == "invoice_create":
                    return redirect(_org_url("invoice_create", self.organization) + f"?customer={customer.pk}")
                return redirect(_org_url("customer_detail", self.organization, customer_id=customer.pk))
            except BillingValidationError as exc:
                form.add_service_errors(exc)
        return self.render(form, customer, status=400)

    def render(self, form, customer, status=200):
        context = {"form": form, "customer": customer, "next": self.request.GET.get("next", "")}
        if self.request.method == "POST":
            context["next"] = self.request.POST.get("next", "")
        return TemplateResponse(self.request, self.template_name, context, status=status)


class CustomerDetailView(OrganizationViewMixin, TemplateView):
    template_name = "billing/customer_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        org = self.organization
        customer = get_object_or_404(Customer, organization=org, pk=self.kwargs["customer_id"])
        invoices = selectors.invoice_list(organization=org, customer=customer.pk)
        # Balance per currency, summed in SQL (a customer may be billed in several currencies).
        balances = (
            Invoice.objects.filter(organization=org, customer=customer, status__in=OPEN_STATUSES)
            .values("currency")
            .annotate(balance=Sum("balance_due"), open_count=Count("pk"))
            .order_by("currency")
        )
        context.update(
            customer=customer,
            page_obj=_paginate(self.request, invoices),
            balances=list(balances),
            today=org.local_today(),
        )
        return context


class CustomerStatementView(OrganizationViewMixin, TemplateView):
    """A customer's statement of account for ``?start=&end=`` (by default this year, or the
    last 90 days early in the year): one table per currency. Its PDF and email are documents'
    (the page links to them with the same period)."""

    template_name = "billing/customer_statement.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        org = self.organization
        customer = get_object_or_404(Customer, organization=org, pk=self.kwargs["customer_id"])
        start, end = self.request.GET.get("start", ""), self.request.GET.get("end", "")
        statement, errors = None, {}
        try:
            statement = customer_statement(organization=org, customer_id=customer.pk, start=start, end=end)
        except BillingValidationError as exc:
            errors = exc.messages
        else:
            start, end = statement.start.isoformat(), statement.end.isoformat()
        today = org.local_today()
        last_year = today.year - 1
        presets = [
            (_("Last 90 days"), today - timedelta(days=validation.STATEMENT_DEFAULT_DAYS), today),
            (_("This year"), today.replace(month=1, day=1), today),
            (
                _("Last year"),
                today.replace(year=last_year, month=1, day=1),
                today.replace(year=last_year, month=12, day=31),
            ),
        ]
        context.update(
            customer=customer,
            statement=statement,
            errors=errors,
            start=start,
            end=end,
            period_query=urlencode({"start": start, "end": end}),
            presets=[(label, urlencode({"start": a.isoformat(), "end": b.isoformat()})) for label, a, b in presets],
        )
        return context


class CustomerArchiveView(OrganizationViewMixin, View):
    required_capability = Capability.BILLING_WRITE

    def post(self, request, org_slug, customer_id):
        customer = get_object_or_404(Customer, organization=self.organization, pk=customer_id)
        archive = not customer.archived
        try:
            services.customer_update(
                organization=self.organization, actor=request.user, customer_id=customer.pk, data={"archived": archive}
            )
        except (BillingValidationError, StateConflict) as exc:
            messages.error(request, _message(exc))
        else:
            messages.success(
                request, (_("“%(name)s” archived.") if archive else _("“%(name)s” restored.")) % {"name": customer.name}
            )
        return redirect(_org_url("customer_detail", self.organization, customer_id=customer.pk))


class CustomerDeleteView(OrganizationViewMixin, View):
    required_capability = Capability.BILLING_WRITE

    def post(self, request, org_slug, customer_id):
        customer = get_object_or_404(Customer, organization=self.organization, pk=customer_id)
        try:
            services.customer_delete(organization=self.organization, actor=request.user, customer_id=customer.pk)
        except StateConflict as exc:
            messages.error(request, _message(exc))
            return redirect(_org_url("customer_detail", self.organization, customer_id=customer.pk))
        messages.success(request, _("Customer “%(name)s” deleted.") % {"name": customer.name})
        return redirect(_org_url("customer_list", self.organization))


def _message(exc):
    if isinstance(exc, StateConflict):
        return exc.conflict_message
    if isinstance(exc, BillingValidationError):
        parts = []
        for path, texts in exc.messages.items():
            text = " ".join(texts)
            parts.append(text if path in NON_FIELD_KEYS else f"{path_label(path)}: {text}")
        return " ".join(parts)
    return str(exc)


# --- Invoices ---------------------------------------------------------------------------

STATUS_TABS = [
    ("all", gettext_lazy("All")),
    ("draft", gettext_lazy("Draft")),
    ("issued", gettext_lazy("Issued")),
    ("partially_paid", gettext_lazy("Partially paid")),
    ("paid", gettext_lazy("Paid")),
    ("overdue", gettext_lazy("Overdue")),
    ("void", gettext_lazy("Void")),
]


# Sortable columns of the invoice list: ?sort=<key> or ?sort=-<key>, nothing else.
SORT_COLUMNS = {
    "number": "number",
    "customer": "customer__name",
    "status": "status",
    "issued": "issue_date",
    "due": "due_date",
    "total": "total",
    "balance": "balance_due",
}
EXPORT_LIMIT = 5000


def _sort_choice(value):
    """(column key, descending) of a ``?sort=`` value, or (None, False) for anything else."""
    value = value or ""
    key = value.removeprefix("-")
    if key not in SORT_COLUMNS:
        return None, False
    return key, value.startswith("-")


def filtered_invoices(request, organization):
    """The invoice list's filters (status tab, search, customer, dates, sort) read from the
    query string and applied by ``selectors.invoice_list``; invalid values are dropped.
    The list page, its live search and its CSV export share it."""
    customers = list(Customer.objects.filter(organization=organization).only("pk", "name").order_by("name"))
    filters = InvoiceFilterForm(request.GET, customers=customers)
    filters.is_valid()  # invalid filters are dropped (and shown), the list still renders
    data = filters.cleaned_data
    tab = request.GET.get("status", "all")
    if tab not in dict(STATUS_TABS):
        tab = "all"
    sort_key, descending = _sort_choice(request.GET.get("sort"))
    invoices = selectors.invoice_list(
        organization=organization,
        status=tab if tab in InvoiceStatus.values else None,
        overdue=True if tab == "overdue" else None,
        customer=data.get("customer") or None,
        search=data.get("q") or None,
        issue_date_after=data.get("issue_date_after"),
        issue_date_before=data.get("issue_date_before"),
        ordering=("-" if descending else "") + SORT_COLUMNS[sort_key] if sort_key else None,
    )
    is_filtered = tab != "all" or any(data.get(k) for k in ("q", "customer", "issue_date_after", "issue_date_before"))
    return {
        "invoices": invoices,
        "filters": filters,
        "tab": tab,
        "customers": customers,
        "is_filtered": is_filtered,
        "sort_key": sort_key,
        "sort_descending": descending,
    }


def _sort_headers(sort_key, descending):
    """Per sortable column: the ``?sort=`` its header link asks for (the other direction when
    it is the current one) and its ``aria-sort``."""
    headers = {}
    for key in SORT_COLUMNS:
        current = key == sort_key
        headers[key] = {
            "next": f"-{key}" if current and not descending else key,
            "aria_sort": ("descending" if descending else "ascending") if current else "",
        }
    return headers


class InvoiceListView(OrganizationViewMixin, TemplateView):
    """The list; an htmx request from its live search gets only the results (and the tabs)."""

    template_name = "billing/invoice_list.html"
    results_template_name = "billing/partials/invoice_results.html"

    def get_template_names(self):
        if _is_htmx(self.request) and self.request.htmx.target == "invoice-results":
            return [self.results_template_name]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        org = self.organization
        found = filtered_invoices(self.request, org)
        context.update(
            filters=found["filters"],
            tab=found["tab"],
            tabs=STATUS_TABS,
            page_obj=_paginate(self.request, found["invoices"]),
            has_customers=bool(found["customers"]),
            today=org.local_today(),
            is_filtered=found["is_filtered"],
            sort=_sort_headers(found["sort_key"], found["sort_descending"]),
            return_query=self.request.GET.urlencode(),
        )
        return context


class InvoiceExportView(OrganizationViewMixin, View):
    """The filtered list (whatever page is shown) as CSV, in the list's order; at most
    ``EXPORT_LIMIT`` rows, beyond which the person is asked to narrow the filters."""

    def get(self, request, *args, **kwargs):
        org = self.organization
        found = filtered_invoices(request, org)
        rows = list(found["invoices"].values_list(*EXPORT_COLUMNS.values())[: EXPORT_LIMIT + 1])
        if len(rows) > EXPORT_LIMIT:
            messages.error(
                request,
                _(
                    "The export holds at most %(limit)s invoices and more match: "
                    "narrow the filters (a status, a customer or dates) and export again."
                )
                % {"limit": formats_for().number(Decimal(EXPORT_LIMIT))},
            )
            return redirect(_org_url("invoice_list", org) + _query_suffix(request.GET))
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="invoices-{org.slug}-{org.local_today()}.csv"'
        response["Cache-Control"] = "private, no-store"
        writer = csv.writer(response)
        writer.writerow(EXPORT_COLUMNS)
        for row in rows:
            writer.writerow(_csv_row(dict(zip(EXPORT_COLUMNS, row, strict=True))))
        return response


# Column -> field of the invoice list's rows.
EXPORT_COLUMNS = {
    "number": "number",
    "status": "status",
    "customer": "customer__name",
    "business": "business__name",
    "issue_date": "issue_date",
    "due_date": "due_date",
    "currency": "currency",
    "subtotal": "subtotal",
    "discount": "discount_total",
    "tax": "tax_total",
    "total": "total",
    "amount_paid": "amount_paid",
    "balance_due": "balance_due",
}


EXPORT_MONEY = ("subtotal", "discount", "tax", "total", "amount_paid", "balance_due")


def _csv_row(row: dict) -> list:
    """Status as people read it, money with exactly the currency's places."""
    row["status"] = InvoiceStatus(row["status"]).label
    for column in EXPORT_MONEY:
        row[column] = calc.quantize_money(row[column], row["currency"])
    return [_csv_cell(value) for value in row.values()]


def _csv_cell(value):
    """Text a spreadsheet would run as a formula (=, +, -, @, tab, CR) is quoted with ';
    numbers and dates are written as they are."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _query_suffix(query):
    text = query.urlencode()
    return f"?{text}" if text else ""


class InvoiceEditorMixin:
    """A page with a document header form and the line-item editor: invoices here, recurring
    invoices below (they share the editor, its htmx endpoint and ``submit``).

    Buttons of the editor (add, remove, move up/down) submit ``editor_action``; with htmx the
    editor alone is swapped, without it the whole page comes back with the rows changed and
    nothing saved. Totals are always computed on the server by ``billing.calc``."""

    template_name = "billing/invoice_form.html"

    businesses = ()

    def choices(self, current=None):
        """The organization's businesses, and its customers not archived (plus ``current``'s own)."""
        org = self.organization
        self.businesses = list(Business.objects.filter(organization=org).order_by("name"))
        customers = Customer.objects.filter(organization=org).filter(
            Q(archived=False) | Q(pk=current.customer_id if current else None)
        )
        return self.businesses, list(customers.order_by("name"))

    def render_page(self, *, form, rows, current=None, list_errors=(), status=200, focus_last=False):
        preview = preview_totals(self.organization, form, rows)
        form.show_exemption_reasons(row.values["vat_category"] for row in rows)
        context = {
            "vat_categories": VatCategory.choices,
            "focus_last": focus_last,
            "form": form,
            "rows": rows,
            "preview": preview,
            "list_errors": list_errors,
            "editor_url": _org_url("invoice_editor", self.organization),
            "max_items": validation.MAX_ITEMS,
            **self.page_context(form, current),
        }
        return TemplateResponse(self.request, self.template_name, context, status=status)

    def page_context(self, form, invoice) -> dict:
        # The editor's script moves the due date along with the business and issue date.
        return {"invoice": invoice, "payment_terms": {str(b.pk): b.payment_terms_days for b in self.businesses}}

    def bound_form(self, data, invoice, businesses, customers):
        locked = invoice is not None and not invoice.is_draft
        form = InvoiceForm(data, businesses=businesses, customers=customers, locked=locked)
        if locked:
            form.initial.update(business=str(invoice.business_id), customer=str(invoice.customer_id))
            form.initial["currency"] = invoice.currency
        return form

    def save(self, invoice, data):
        """The service call; the page to go to."""
        if invoice is None:
            invoice = services.invoice_create(organization=self.organization, actor=self.request.user, data=data)
            messages.success(self.request, _("Draft invoice created."))
        else:
            invoice = services.invoice_update(
                organization=self.organization, actor=self.request.user, invoice_id=invoice.pk, data=data
            )
            messages.success(self.request, _("Invoice %(invoice)s saved.") % {"invoice": invoice})
        return redirect(_org_url("invoice_detail", self.organization, invoice_id=invoice.pk))

    def submit(self, request, current=None):
        businesses, customers = self.choices(current)
        form = self.bound_form(request.POST, current, businesses, customers)
        action = request.POST.get("editor_action")
        rows = parse_item_rows(request.POST, keep_blank=bool(action))
        page = {"form": form, "rows": rows, "current": current}
        if action:
            # A button press in the editor is not a submission: nothing is sent to the service.
            form.is_valid()
            page["rows"] = apply_editor_action(rows, action, default_category=_default_category(form, businesses))
            return self.render_page(**page, focus_last=action == "add")
        if form.is_valid():
            data = form.service_data()
            data["items"] = [row.as_service_item() for row in rows]
            try:
                return self.save(current, data)
            except BillingValidationError as exc:
                form.add_service_errors(exc, skip={"items"})
                return self.render_page(**page, list_errors=attach_item_errors(rows, exc), status=400)
            except StateConflict as exc:
                form.add_error(None, exc.conflict_message)
        return self.render_page(**page, status=400)


class InvoiceCreateView(OrganizationViewMixin, InvoiceEditorMixin, View):
    required_capability = Capability.BILLING_WRITE

    def get(self, request, *args, **kwargs):
        businesses, customers = self.choices()
        initial = {}
        if businesses:
            # The defaults the service would apply, shown rather than described.
            today = self.organization.local_today()
            initial["business"] = str(businesses[0].pk)
            initial["notes"] = businesses[0].default_notes
            initial["terms"] = businesses[0].default_terms
            initial["issue_date"] = today
            initial["due_date"] = _due_date(today, businesses[0].payment_terms_days)
            initial["vat_exemption_reasons"] = businesses[0].vat_exemption_reasons
        customer_id = request.GET.get("customer")
        if customer_id and any(str(c.pk) == customer_id for c in customers):
            initial["customer"] = customer_id
        form = InvoiceForm(initial=initial, businesses=businesses, customers=customers)
        rows = [ItemRow(0, new_row_values(_default_category(form, businesses)))]
        return self.render_page(form=form, rows=rows)

    def post(self, request, *args, **kwargs):
        return self.submit(request)


class InvoiceEditView(OrganizationViewMixin, InvoiceEditorMixin, View):
    required_capability = Capability.BILLING_WRITE

    def get_invoice(self):
        invoice = selectors.invoice_detail(organization=self.organization, invoice_id=self.kwargs["invoice_id"])
        if not invoice.is_draft:
            messages.error(self.request, _(FINAL_MESSAGE))
            return None, redirect(_org_url("invoice_detail", self.organization, invoice_id=invoice.pk))
        return invoice, None

    def get(self, request, *args, **kwargs):
        invoice, refusal = self.get_invoice()
        if refusal:
            return refusal
        businesses, customers = self.choices(invoice)
        initial = {
            "business": str(invoice.business_id),
            "customer": str(invoice.customer_id),
            "currency": invoice.currency,
            "issue_date": invoice.issue_date,
            "due_date": invoice.due_date,
            "discount_type": invoice.discount_type,
            "discount_value": typed_decimal(invoice.discount_value) if invoice.discount_type != "none" else "",
            "notes": invoice.notes,
            "terms": invoice.terms,
            "vat_exemption_reasons": invoice.vat_exemption_reasons,
        }
        form = InvoiceForm(initial=initial, businesses=businesses, customers=customers, locked=not invoice.is_draft)
        return self.render_page(form=form, rows=rows_from_items(invoice.items.all()), current=invoice)

    def post(self, request, *args, **kwargs):
        invoice, refusal = self.get_invoice()
        if refusal:
            return refusal
        return self.submit(request, invoice)


def _due_date(issue_date, terms_days):
    try:
        return issue_date + timedelta(days=terms_days)
    except OverflowError:  # terms that reach past the calendar: left for the person to enter
        return None


class InvoiceEditorView(OrganizationViewMixin, InvoiceEditorMixin, View):
    """htmx endpoint of the editor: takes the whole form, returns the totals partial (or the
    whole editor after an add/remove/move button). Nothing is saved."""

    required_capability = Capability.BILLING_WRITE

    def post(self, request, *args, **kwargs):
        businesses, customers = self.choices()
        form = InvoiceForm(request.POST, businesses=businesses, customers=customers)
        form.is_valid()
        action = request.POST.get("editor_action")
        rows = parse_item_rows(request.POST, keep_blank=bool(action))
        if action:
            rows = apply_editor_action(rows, action, default_category=_default_category(form, businesses))
        # The credit note form names its invoice: its preview counts what is left of each row.
        left = selectors.invoice_left_to_credit_by_id(
            organization=self.organization, invoice_id=request.POST.get("credited_invoice")
        )
        preview = preview_totals(self.organization, form, rows, left=left)
        template = "billing/partials/item_editor.html" if action else "billing/partials/invoice_totals.html"
        return TemplateResponse(
            request,
            template,
            {
                "rows": rows,
                "preview": preview,
                "form": form,
                "oob": not action,
                "editor_url": request.path,
                "focus_last": action == "add",
                "max_items": validation.MAX_ITEMS,
                "vat_categories": VatCategory.choices,
            },
        )


def _default_category(form, businesses) -> str:
    """The default VAT category of the business the form names: new lines start from it."""
    business_id = form.data.get("business") or form.initial.get("business")
    for business in businesses:
        if str(business.pk) == business_id:
            return business.default_vat_category
    return VatCategory.STANDARD


def preview_totals(organization, form, rows, *, left=None):
    """Totals of what is typed so far, by ``billing.calc`` (the same module the services use),
    from the values parsed as the service parses them; ``left``, for a credit note: what is
    left to credit of its invoice's rows, as the service passes it.

    Lines that do not parse yet are left out and named, so the person sees why."""
    currency = _preview_currency(organization, form)
    problems, lines, counted = [], [], []
    for row in rows:
        item = row.as_service_item()
        errors = validation.FieldErrors()
        quantity = errors.parse("quantity", validation.parse_quantity, item["quantity"])
        unit_price = errors.parse("unit_price", validation.parse_unit_price, item["unit_price"])
        tax_rate = errors.parse("tax_rate", validation.parse_tax_rate, item["tax_rate"] or "0")
        if errors:
            # A field not filled in yet is normal while typing; only a wrong value is worth a word.
            typed = {field: texts for field, texts in errors.messages.items() if item[field]}
            if typed:
                field, texts = next(iter(typed.items()))
                words = {"line": row.index + 1, "field": path_label(field).lower(), "problem": texts[0]}
                problems.append(_("Line %(line)s is not counted yet (%(field)s: %(problem)s)") % words)
            continue
        category = item["vat_category"] if item["vat_category"] in calc.VAT_CATEGORIES else None
        lines.append(calc.LineInput(quantity=quantity, unit_price=unit_price, tax_rate=tax_rate, vat_category=category))
        counted.append(row)
    discount_type, discount_value = _preview_discount(form, currency, problems)
    try:
        totals = calc.compute_totals(
            currency=currency, lines=lines, discount_type=discount_type, discount_value=discount_value, left=left
        )
    except calc.DiscountExceedsSubtotal:
        problems.append(_("The discount is larger than the subtotal."))
        totals = calc.compute_totals(
            currency=currency, lines=lines, discount_type="none", discount_value=Decimal(0), left=left
        )
    for row, amounts in zip(counted, totals.lines, strict=True):
        row.line_net = amounts.line_net
    return {"currency": currency, "totals": totals, "problems": problems}


def _preview_discount(form, currency, problems):
    discount_type = form.data.get("discount_type") or "none"
    if discount_type not in ("percent", "amount"):
        return "none", Decimal(0)
    raw = decimal_from_input(form.data.get("discount_value", "")) or "0"
    try:
        if discount_type == "percent":
            return discount_type, validation.parse_percent(raw)
        return discount_type, validation.parse_money(raw, currency)
    except validation.InvalidValue as exc:
        problems.append(_("The discount is not counted yet (%(problem)s)") % {"problem": exc.message})
        return "none", Decimal(0)


def _preview_currency(organization, form):
    code = (form.data.get("currency") or "").strip().upper()
    if not code and form.fields["currency"].disabled:
        code = form.initial.get("currency", "")
    try:
        return validation.parse_currency(code)
    except validation.InvalidValue:
        pass
    business_id = form.data.get("business") or form.initial.get("business")
    for pk, _label in form.fields["business"].choices:
        if pk == business_id:
            business = Business.objects.filter(organization=organization, pk=pk).only("default_currency").first()
            if business is not None:
                return business.default_currency
    return organization.default_currency


class InvoiceDetailView(OrganizationViewMixin, TemplateView):
    template_name = "billing/invoice_detail.html"

    def get_context_data(self, payment_form=None, void_forms=None, **kwargs):
        context = super().get_context_data(**kwargs)
        org = self.organization
        invoice = selectors.invoice_detail(organization=org, invoice_id=self.kwargs["invoice_id"])
        today = org.local_today()
        payments = list(invoice.payments.all())
        refund_due = -invoice.balance_due if invoice.balance_due < 0 else None
        if payment_form is None:
            form_class = RefundForm if refund_due else PaymentForm
            amount = typed_decimal(abs(invoice.balance_due)) if invoice.balance_due else ""
            payment_form = form_class(initial={"amount": amount, "date": today}, auto_id="id_payment_%s")
        # The invoice's own entries and its payments' (payment.recorded/voided), newest first.
        targets = [str(invoice.pk)] + [str(p.pk) for p in payments]
        history = list(
            AuditEntry.objects.filter(organization=org, target_id__in=targets).order_by("-sequence")[
                : HISTORY_LIMIT + 1
            ]
        )
        void_forms = void_forms or {}
        for payment in payments:
            payment.void_form = void_forms.get(payment.pk) or VoidPaymentForm(auto_id=f"id_void_{payment.pk}_%s")
        context.update(
            invoice=invoice,
            items=list(invoice.items.all()),
            payments=payments,
            payment_form=payment_form,
            is_overdue=invoice.is_overdue_on(today),
            can_record_payment=invoice.status in OPEN_STATUSES or refund_due is not None,
            refund_due=refund_due,
            can_edit=invoice.is_draft,
            creditable=invoice.status in CREDITABLE_STATUSES,
            correction_form=CorrectionForm(auto_id="id_correction_%s"),
            credit_notes=list(invoice.credit_notes.order_by("created_at")),
            replaced_by=Invoice.objects.filter(organization=org, replaces=invoice).first()
            if invoice.status == InvoiceStatus.CREDITED
            else None,
            can_send=invoice.status in (*OPEN_STATUSES, InvoiceStatus.PAID, InvoiceStatus.CREDITED),
            emails=list(invoice.emails.all()[:10]),
            documents=list(invoice.documents.all()[:1]),
            history=history[:HISTORY_LIMIT],
            history_has_more=len(history) > HISTORY_LIMIT,
            reminders=[] if invoice.is_draft else selectors.reminder_timeline(organization=org, invoice=invoice),
        )
        return context


class InvoiceActionView(OrganizationViewMixin, View):
    """POST-only actions on one invoice: issue, void, delete (documents adds send)."""

    action = None
    required_capability = Capability.BILLING_WRITE

    def post(self, request, org_slug, invoice_id):
        org = self.organization
        invoice = get_object_or_404(Invoice, organization=org, pk=invoice_id)
        try:
            target = self.perform(invoice)
        except (StateConflict, BillingValidationError) as exc:
            messages.error(request, _message(exc))
            return redirect(_org_url("invoice_detail", org, invoice_id=invoice.pk))
        return target

    def detail(self, invoice):
        return redirect(_org_url("invoice_detail", self.organization, invoice_id=invoice.pk))


class InvoiceIssueView(InvoiceActionView):
    def perform(self, invoice):
        invoice = services.invoice_issue(organization=self.organization, actor=self.request.user, invoice_id=invoice.pk)
        messages.success(self.request, _("Invoice %(number)s issued.") % {"number": invoice.number})
        return self.detail(invoice)


class InvoiceVoidView(InvoiceActionView):
    required_capability = Capability.INVOICES_CANCEL

    def perform(self, invoice):
        invoice = services.invoice_void(organization=self.organization, actor=self.request.user, invoice_id=invoice.pk)
        messages.success(self.request, _("Invoice %(number)s voided.") % {"number": invoice.number})
        return self.detail(invoice)


class InvoiceCancelView(InvoiceActionView):
    """Cancel: a credit note for everything not yet credited, issued at once."""

    required_capability = Capability.INVOICES_CANCEL

    def perform(self, invoice):
        form = CorrectionForm(self.request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        note = services.invoice_cancel(
            organization=self.organization, actor=self.request.user, invoice_id=invoice.pk, reason=reason
        )
        messages.success(
            self.request,
            _("Invoice %(invoice)s cancelled by credit note %(note)s.")
            % {"invoice": invoice.number, "note": note.number},
        )
        return self.detail(invoice)


class InvoiceCorrectView(InvoiceActionView):
    """Correct: cancel, then open the new linked draft in the editor."""

    required_capability = Capability.INVOICES_CANCEL

    def perform(self, invoice):
        form = CorrectionForm(self.request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        note, draft = services.invoice_correct(
            organization=self.organization, actor=self.request.user, invoice_id=invoice.pk, reason=reason
        )
        messages.success(
            self.request,
            _("Invoice %(invoice)s cancelled by credit note %(note)s. Fix this new draft, then issue it.")
            % {"invoice": invoice.number, "note": note.number},
        )
        return redirect(_org_url("invoice_edit", self.organization, invoice_id=draft.pk))


class CreditNoteCreateView(OrganizationViewMixin, View):
    """A credit note for an issued invoice, prefilled with its lines (each editable or
    removable in the invoice's line editor); saved as a draft, issued from the invoice page.
    With a ``credit_note_id``, the same page edits that draft (an issued one is refused)."""

    required_capability = Capability.BILLING_WRITE
    template_name = "billing/credit_note_form.html"

    def get(self, request, org_slug, invoice_id, credit_note_id=None):
        invoice, note = self.objects(invoice_id, credit_note_id)
        if note is not None and not note.is_draft:
            return self.refuse(invoice)
        source = invoice.items if note is None else note.items
        rows = rows_from_items(source.order_by("position"))
        return self.render_page(invoice, rows=rows, reason="" if note is None else note.reason, note=note)

    def post(self, request, org_slug, invoice_id, credit_note_id=None):
        invoice, note = self.objects(invoice_id, credit_note_id)
        if note is not None and not note.is_draft:
            return self.refuse(invoice)
        action = request.POST.get("editor_action")
        rows = parse_item_rows(request.POST, keep_blank=bool(action))
        reason = request.POST.get("reason", "")
        if action:
            rows = apply_editor_action(rows, action, default_category=VatCategory.STANDARD)
            return self.render_page(invoice, rows=rows, reason=reason, note=note)
        data = {"reason": reason, "items": [row.as_service_item() for row in rows]}
        try:
            note = self.save(invoice, note, data)
        except BillingValidationError as exc:
            errors = attach_item_errors(rows, exc)
            errors += [
                message for path, texts in exc.messages.items() if not path.startswith("items") for message in texts
            ]
            return self.render_page(invoice, rows=rows, reason=reason, note=note, list_errors=errors, status=400)
        except StateConflict as exc:
            messages.error(request, _message(exc))
        else:
            total = formats_for().money(note.total, note.currency)
            messages.success(request, _("Draft credit note of %(total)s saved.") % {"total": total})
        return self.refuse(invoice, final=False)

    def objects(self, invoice_id, credit_note_id):
        """The invoice and, when editing, its credit note: both this organization's (else 404)."""
        invoice = get_object_or_404(Invoice, organization=self.organization, pk=invoice_id)
        if credit_note_id is None:
            return invoice, None
        note = get_object_or_404(CreditNote, organization=self.organization, invoice=invoice, pk=credit_note_id)
        return invoice, note

    def save(self, invoice, note, data):
        if note is None:
            data["invoice"] = invoice.pk
            return services.credit_note_create(organization=self.organization, actor=self.request.user, data=data)
        return services.credit_note_update(
            organization=self.organization, actor=self.request.user, credit_note_id=note.pk, data=data
        )

    def refuse(self, invoice, *, final=True):
        """Back to the invoice's credit notes; ``final``: with why an issued one is not edited."""
        if final:
            messages.error(self.request, _("An issued credit note is final: it cannot be changed or deleted."))
        return HttpResponseRedirect(
            _org_url("invoice_detail", self.organization, invoice_id=invoice.pk) + "#credit-notes"
        )

    def render_page(self, invoice, *, rows, reason, note=None, list_errors=(), status=200):
        # The editor's buttons and preview post the invoice's parties and currency, as on an invoice.
        left = selectors.invoice_left_to_credit(organization=self.organization, invoice=invoice)
        form = InvoiceForm(
            {"business": str(invoice.business_id), "customer": str(invoice.customer_id), "currency": invoice.currency},
            businesses=[invoice.business],
            customers=[invoice.customer],
        )
        context = {
            "invoice": invoice,
            "note": note,
            "form": form,
            "rows": rows,
            "reason": reason,
            "preview": preview_totals(self.organization, form, rows, left=left),
            "list_errors": list_errors,
            "vat_categories": VatCategory.choices,
            "editor_url": _org_url("invoice_editor", self.organization),
            "max_items": validation.MAX_ITEMS,
        }
        return TemplateResponse(self.request, self.template_name, context, status=status)


class CreditNoteActionView(OrganizationViewMixin, View):
    """Issue or delete a draft credit note from its invoice's page."""

    required_capability = Capability.BILLING_WRITE
    action = ""

    def post(self, request, org_slug, invoice_id, credit_note_id):
        org = self.organization
        # Both ids must name this organization's credit note of this invoice (else 404).
        get_object_or_404(CreditNote, organization=org, invoice_id=invoice_id, pk=credit_note_id)
        try:
            if self.action == "issue":
                note = services.credit_note_issue(organization=org, actor=request.user, credit_note_id=credit_note_id)
                messages.success(request, _("Credit note %(number)s issued.") % {"number": note.number})
            else:
                services.credit_note_delete(organization=org, actor=request.user, credit_note_id=credit_note_id)
                messages.success(request, _("Draft credit note deleted."))
        except (StateConflict, BillingValidationError) as exc:
            messages.error(request, _message(exc))
        return HttpResponseRedirect(_org_url("invoice_detail", org, invoice_id=invoice_id) + "#credit-notes")


class InvoiceDuplicateView(InvoiceActionView):
    def perform(self, invoice):
        copy = services.invoice_duplicate(
            organization=self.organization, actor=self.request.user, invoice_id=invoice.pk
        )
        text = _("A new draft copied from %(invoice)s: check its dates and lines, then save.") % {"invoice": invoice}
        messages.success(self.request, text)
        return redirect(_org_url("invoice_edit", self.organization, invoice_id=copy.pk))


class InvoiceDeleteView(InvoiceActionView):
    def perform(self, invoice):
        services.invoice_delete(organization=self.organization, actor=self.request.user, invoice_id=invoice.pk)
        messages.success(self.request, _("Draft invoice deleted."))
        return redirect(_org_url("invoice_list", self.organization))


class PaymentRecordView(OrganizationViewMixin, View):
    required_capability = Capability.BILLING_WRITE

    def post(self, request, org_slug, invoice_id):
        org = self.organization
        invoice = get_object_or_404(Invoice, organization=org, pk=invoice_id)
        kind = PaymentKind.REFUND if request.POST.get("kind") == PaymentKind.REFUND else PaymentKind.PAYMENT
        form = (RefundForm if kind == PaymentKind.REFUND else PaymentForm)(request.POST, auto_id="id_payment_%s")
        if form.is_valid():
            try:
                payment = services.payment_record(
                    organization=org, actor=request.user, invoice_id=invoice.pk, kind=kind, **form.cleaned_data
                )
            except BillingValidationError as exc:
                form.add_service_errors(exc)
            except StateConflict as exc:
                form.add_error(None, exc.conflict_message)
            else:
                text = (
                    _("Refund of %(amount)s recorded.")
                    if kind == PaymentKind.REFUND
                    else _("Payment of %(amount)s recorded.")
                )
                messages.success(request, text % {"amount": formats_for().money(payment.amount, invoice.currency)})
                return HttpResponseRedirect(_org_url("invoice_detail", org, invoice_id=invoice.pk) + "#payments")
        view = InvoiceDetailView(request=request, kwargs={"invoice_id": invoice_id}, args=())
        view.organization, view.membership = org, self.membership
        context = view.get_context_data(payment_form=form)
        return TemplateResponse(request, InvoiceDetailView.template_name, context, status=400)


class PaymentVoidView(OrganizationViewMixin, View):
    required_capability = Capability.BILLING_WRITE

    def post(self, request, org_slug, invoice_id, payment_id):
        org = self.organization
        payment = get_object_or_404(Payment, organization=org, invoice_id=invoice_id, pk=payment_id)
        form = VoidPaymentForm(request.POST, auto_id=f"id_void_{payment.pk}_%s")
        if form.is_valid():
            try:
                services.payment_void(
                    organization=org, actor=request.user, payment_id=payment.pk, reason=form.cleaned_data["reason"]
                )
            except BillingValidationError as exc:
                form.add_service_errors(exc)
            except StateConflict as exc:
                messages.error(request, exc.conflict_message)
                return HttpResponseRedirect(_org_url("invoice_detail", org, invoice_id=invoice_id) + "#payments")
            else:
                messages.success(request, _("Payment voided."))
                return HttpResponseRedirect(_org_url("invoice_detail", org, invoice_id=invoice_id) + "#payments")
        view = InvoiceDetailView(request=request, kwargs={"invoice_id": invoice_id}, args=())
        view.organization, view.membership = org, self.membership
        context = view.get_context_data(void_forms={payment.pk: form})
        return TemplateResponse(request, InvoiceDetailView.template_name, context, status=400)


# --- Recurring invoices -----------------------------------------------------------------


class CreditNoteListView(OrganizationViewMixin, TemplateView):
    """Every credit note, filtered by status and searched by its or its invoice's number."""

    template_name = "billing/credit_note_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        status = self.request.GET.get("status", "")
        search = self.request.GET.get("q", "").strip()[:64]
        notes = selectors.credit_notes(organization=self.organization, status=status, search=search)
        context.update(page_obj=_paginate(self.request, notes), status=status, q=search)
        return context


class RecurringInvoiceListView(OrganizationViewMixin, TemplateView):
    """The templates, when each runs next, and what the catch-up limit skipped."""

    template_name = "billing/recurring_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        templates = selectors.recurring_invoice_list(organization=self.organization)
        context.update(page_obj=_paginate(self.request, templates), today=self.organization.local_today())
        return context


class RecurringInvoiceDetailView(OrganizationViewMixin, TemplateView):
    template_name = "billing/recurring_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        org = self.organization
        template = selectors.recurring_invoice_detail(organization=org, template_id=self.kwargs["template_id"])
        runs = selectors.recurring_runs(organization=org, template=template)
        context.update(
            template=template,
            lines=list(template.lines.all()),
            page_obj=_paginate(self.request, runs),
            schedule=None if template.paused else schedule_preview(org, None, template),
        )
        return context


def schedule_preview(organization, form, template) -> dict:
    """The next run dates of the schedule on ``form`` (a template's as saved when None), by the
    service that saves it; or, while the schedule is not valid, what is wrong with it, in words."""
    if form is None:
        data = {}
    elif form.is_bound:
        form.is_valid()
        data = form.service_data()
    else:
        data = {name: value for name, value in form.initial.items() if value not in (None, "")}
    try:
        preview = services.recurring_invoice_preview(
            organization=organization, data=data, template_id=template.pk if template else None
        )
    except BillingValidationError as exc:
        return {"problems": _message(exc)}
    return {"preview": preview}


def _template_initial(template) -> dict:
    """A template's fields as its form shows them."""
    day = template.day_of_month
    return {
        "name": template.name,
        "business": str(template.business_id),
        "customer": str(template.customer_id),
        "currency": template.currency,
        "discount_type": template.discount_type,
        "discount_value": typed_decimal(template.discount_value) if template.discount_type != "none" else "",
        "notes": template.notes,
        "terms": template.terms,
        "vat_exemption_reasons": template.vat_exemption_reasons,
        "frequency": template.frequency,
        "day_of_month": "" if day is None else (validation.LAST_DAY_OF_MONTH if day == 0 else str(day)),
        "start_date": template.start_date,
        "end_date": template.end_date,
        "count": "" if template.count is None else str(template.count),
        "skip_weekends": template.skip_weekends,
        "mode": template.mode,
        "max_catch_up": str(template.max_catch_up),
    }


def _initial_from_invoice(invoice) -> dict:
    """For "Make recurring": the invoice's parties, currency, discount, texts and reasons, monthly on
    its issue date's day from the month after it (the invoice itself is this month's)."""
    issue = invoice.issue_date
    first = next(recurrence.periods(recurrence.Schedule(recurrence.Frequency.MONTHLY, issue), after=issue))
    return {
        "business": str(invoice.business_id),
        "customer": str(invoice.customer_id),
        "currency": invoice.currency,
        "discount_type": invoice.discount_type,
        "discount_value": typed_decimal(invoice.discount_value) if invoice.discount_type != "none" else "",
        "notes": invoice.notes,
        "terms": invoice.terms,
        "vat_exemption_reasons": invoice.vat_exemption_reasons,
        "day_of_month": str(issue.day) if issue.day > 28 else "",
        "start_date": first.nominal,
    }


class RecurringInvoiceEditorMixin(InvoiceEditorMixin):
    """The recurring invoice form: the invoice's header, line editor and totals, and the schedule
    with its next run dates (``schedule_preview``, refreshed as the schedule changes)."""

    template_name = "billing/recurring_form.html"

    def page_context(self, form, template) -> dict:
        if template is None:
            schedule_url = _org_url("recurring_schedule", self.organization)
        else:
            schedule_url = _org_url("recurring_schedule_edit", self.organization, template_id=template.pk)
        return {
            "template": template,
            "schedule": schedule_preview(self.organization, form, template),
            "schedule_url": schedule_url,
        }

    def bound_form(self, data, template, businesses, customers):
        return RecurringInvoiceForm(data, businesses=businesses, customers=customers)

    def save(self, template, data):
        org, user = self.organization, self.request.user
        if template is None:
            template = services.recurring_invoice_create(organization=org, actor=user, data=data)
            messages.success(self.request, _("Recurring invoice created."))
        else:
            template = services.recurring_invoice_update(
                organization=org, actor=user, template_id=template.pk, data=data
            )
            messages.success(self.request, _("Recurring invoice saved."))
        return redirect(_org_url("recurring_detail", org, template_id=template.pk))


class RecurringInvoiceCreateView(OrganizationViewMixin, RecurringInvoiceEditorMixin, View):
    """A new template; ``?invoice=<id>`` starts from that invoice ("Make recurring")."""

    required_capability = Capability.BILLING_WRITE

    def get(self, request, *args, **kwargs):
        businesses, customers = self.choices()
        initial = {
            "frequency": RecurringFrequency.MONTHLY,
            "mode": RecurringMode.ISSUE_AND_SEND,
            "start_date": self.organization.local_today(),
            "max_catch_up": "3",
        }
        if businesses:
            business = businesses[0]
            initial.update(business=str(business.pk), notes=business.default_notes, terms=business.default_terms)
            initial["vat_exemption_reasons"] = business.vat_exemption_reasons
        source = self.source_invoice()
        if source is not None:
            initial.update(_initial_from_invoice(source))
        elif any(str(c.pk) == request.GET.get("customer") for c in customers):
            initial["customer"] = request.GET["customer"]
        form = RecurringInvoiceForm(initial=initial, businesses=businesses, customers=customers)
        if source is not None:
            rows = rows_from_items(source.items.all())
        else:
            rows = [ItemRow(0, new_row_values(_default_category(form, businesses)))]
        return self.render_page(form=form, rows=rows)

    def source_invoice(self):
        """The invoice of ``?invoice=``, when it is this organization's (anything else: none)."""
        pk = validation.object_pk(self.request.GET.get("invoice"))
        if pk is None:
            return None
        return Invoice.objects.filter(organization=self.organization, pk=pk).first()

    def post(self, request, *args, **kwargs):
        return self.submit(request)


class RecurringInvoiceEditView(OrganizationViewMixin, RecurringInvoiceEditorMixin, View):
    required_capability = Capability.BILLING_WRITE

    def get_template(self):
        return selectors.recurring_invoice_detail(
            organization=self.organization, template_id=self.kwargs["template_id"]
        )

    def get(self, request, *args, **kwargs):
        template = self.get_template()
        businesses, customers = self.choices(template)
        form = RecurringInvoiceForm(initial=_template_initial(template), businesses=businesses, customers=customers)
        return self.render_page(form=form, rows=rows_from_items(template.lines.all()), current=template)

    def post(self, request, *args, **kwargs):
        return self.submit(request, self.get_template())


class RecurringScheduleView(OrganizationViewMixin, View):
    """htmx endpoint of the recurring invoice form: the next run dates of the schedule typed so
    far (of that template, after its last period run, with a ``template_id``). Nothing is saved."""

    required_capability = Capability.BILLING_WRITE

    def post(self, request, org_slug, template_id=None):
        template = None
        if template_id is not None:
            template = get_object_or_404(RecurringInvoice, organization=self.organization, pk=template_id)
        form = RecurringInvoiceForm(request.POST)
        context = {"schedule": schedule_preview(self.organization, form, template)}
        return TemplateResponse(request, "billing/partials/recurring_schedule.html", context)


class RecurringInvoiceDeleteView(OrganizationViewMixin, View):
    """Delete a template and its history; the invoices it created stay."""

    required_capability = Capability.BILLING_WRITE

    def post(self, request, org_slug, template_id):
        template = get_object_or_404(RecurringInvoice, organization=self.organization, pk=template_id)
        services.recurring_invoice_delete(organization=self.organization, actor=request.user, template_id=template.pk)
        messages.success(request, _("Recurring invoice “%(name)s” deleted; its invoices stay.") % {"name": template})
        return redirect(_org_url("recurring_list", self.organization))


class RecurringInvoiceActionView(OrganizationViewMixin, View):
    """POST-only: pause or resume a template."""

    required_capability = Capability.BILLING_WRITE
    service = None  # a billing.services function
    done = ""

    def post(self, request, org_slug, template_id):
        template = get_object_or_404(RecurringInvoice, organization=self.organization, pk=template_id)
        try:
            self.service(organization=self.organization, actor=request.user, template_id=template.pk)
        except StateConflict as exc:
            messages.error(request, _message(exc))
        else:
            messages.success(request, self.done)
        return redirect(_org_url("recurring_detail", self.organization, template_id=template.pk))


class RecurringInvoicePauseView(RecurringInvoiceActionView):
    service = staticmethod(services.recurring_invoice_pause)
    done = gettext_lazy("Paused: no invoice is created until you resume.")


class RecurringInvoiceResumeView(RecurringInvoiceActionView):
    service = staticmethod(services.recurring_invoice_resume)
    done = gettext_lazy("Resumed: periods missed while paused are skipped; the next ones run as scheduled.")
