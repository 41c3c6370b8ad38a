"""Billing data. Every write goes through ``billing.services``; totals come from ``billing.calc``."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from billing import calc, vat
from billing.addresses import party_address, render_address
from organizations.models import MAX_CURRENCY_PLACES, currency_code_validators
from organizations.tenancy import TenantManager, TenantModel

# Stored money carries 3 places, the most any supported currency uses (KWD, BHD); the
# API and templates format each amount with exactly its currency's places.
MONEY = {"max_digits": 19, "decimal_places": MAX_CURRENCY_PLACES}
DEFAULT_NUMBER_FORMAT = "INV-{YYYY}-{SEQ}"
DEFAULT_CREDIT_NOTE_NUMBER_FORMAT = "CN-{YYYY}-{SEQ}"
# The languages documents (PDF, email) are written in; ISO 639-1 codes.
DOCUMENT_LANGUAGES = ("en", "fr", "de")
DEFAULT_DOCUMENT_LANGUAGE = "en"


class VatCategory(models.TextChoices):
    """UNCL 5305 VAT category codes (EN 16931 BT-151, BT-118), eu-invoicing.md "VAT treatment per line"."""

    STANDARD = calc.VAT_STANDARD, vat.CATEGORY_LABELS[calc.VAT_STANDARD]
    ZERO_RATED = calc.VAT_ZERO_RATED, vat.CATEGORY_LABELS[calc.VAT_ZERO_RATED]
    EXEMPT = calc.VAT_EXEMPT, vat.CATEGORY_LABELS[calc.VAT_EXEMPT]
    REVERSE_CHARGE = calc.VAT_REVERSE_CHARGE, vat.CATEGORY_LABELS[calc.VAT_REVERSE_CHARGE]
    INTRA_COMMUNITY = calc.VAT_INTRA_COMMUNITY, vat.CATEGORY_LABELS[calc.VAT_INTRA_COMMUNITY]
    EXPORT = calc.VAT_EXPORT, vat.CATEGORY_LABELS[calc.VAT_EXPORT]
    OUTSIDE_SCOPE = calc.VAT_OUTSIDE_SCOPE, vat.CATEGORY_LABELS[calc.VAT_OUTSIDE_SCOPE]


# Marked for translation: a business that keeps these defaults sends them in each document's
# language (documents.services.email_template).
DEFAULT_EMAIL_SUBJECT = gettext_noop("Invoice {number} from {business_name}")
DEFAULT_EMAIL_BODY = gettext_noop(
    "Hello {customer_name},\n\n"
    "Please find attached invoice {number} for {total}, due on {due_date}.\n\n"
    "Thank you for your business.\n{business_name}"
)


class Business(TenantModel):
    """A seller profile: what is printed at the top of an invoice."""

    name = models.CharField(max_length=200)
    legal_name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True, help_text="Reply-To of invoice emails.")
    phone = models.CharField(max_length=50, blank=True)
    # Postal address (BG-5). ``address`` renders it; addresses typed as free text before they
    # were structured kept their first line in line 1 and the rest, joined, in line 2.
    address_line1 = models.CharField(max_length=200, blank=True)  # BT-35
    address_line2 = models.CharField(max_length=1000, blank=True)  # BT-36
    postcode = models.CharField(max_length=20, blank=True)  # BT-38
    city = models.CharField(max_length=100, blank=True)  # BT-37
    country = models.CharField(max_length=2, blank=True)  # BT-40, ISO 3166-1 alpha-2; required to issue
    tax_id = models.CharField(max_length=50, blank=True)  # BT-32, the local tax number
    vat_id = models.CharField(max_length=20, blank=True)  # BT-31, compact, with its country prefix
    legal_registration_id = models.CharField(max_length=100, blank=True)  # BT-30 (SIREN, HRB, ...)
    iban = models.CharField(max_length=34, blank=True)  # BT-84, compact
    bic = models.CharField(max_length=11, blank=True)  # BT-86
    language = models.CharField(max_length=8, default=DEFAULT_DOCUMENT_LANGUAGE)  # of its documents
    legal_mentions = models.TextField(blank=True, max_length=2000)  # printed in every document's footer
    contact_name = models.CharField(max_length=200, blank=True)  # BT-41 (seller contact, BG-6)
    peppol_id = models.CharField(max_length=100, blank=True)  # BT-34, "scheme:id"
    # The invoice PDF (download and email attachment) is the Factur-X file: the PDF/A-3 with
    # the CII XML inside. New businesses in the EU start with it on (see business_create).
    facturx = models.BooleanField(default=True)
    default_currency = models.CharField(max_length=3, validators=currency_code_validators, default="EUR")
    payment_terms_days = models.PositiveSmallIntegerField(default=30, validators=[MaxValueValidator(365)])
    invoice_number_format = models.CharField(max_length=50, default=DEFAULT_NUMBER_FORMAT)
    invoice_number_width = models.PositiveSmallIntegerField(
        default=4, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    invoice_number_yearly_reset = models.BooleanField(default=True)
    # Credit notes have their own gapless sequence, format, width and reset (eu-invoicing.md).
    credit_note_number_format = models.CharField(max_length=50, default=DEFAULT_CREDIT_NOTE_NUMBER_FORMAT)
    credit_note_number_width = models.PositiveSmallIntegerField(
        default=4, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    credit_note_number_yearly_reset = models.BooleanField(default=True)
    default_notes = models.TextField(blank=True, max_length=5000)
    default_terms = models.TextField(blank=True, max_length=5000)
    payment_instructions = models.TextField(blank=True, max_length=2000)
    logo = models.ImageField(upload_to="logos/%Y/", blank=True)
    email_subject_template = models.CharField(max_length=200, default=DEFAULT_EMAIL_SUBJECT)
    email_body_template = models.TextField(max_length=5000, default=DEFAULT_EMAIL_BODY)
    # The category new lines start from (S still becomes Z on a 0 rate), and the reason printed
    # for each exempt category: {"E": {"text": "...", "code": "VATEX-..."}, "AE": ...} (BT-120, BT-121).
    default_vat_category = models.CharField(max_length=2, choices=VatCategory.choices, default=VatCategory.STANDARD)
    vat_exemption_reasons = models.JSONField(default=dict, blank=True)

    objects = TenantManager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "businesses"
        indexes = [models.Index(fields=["organization", "name"], name="business_org_name")]

    def __str__(self):
        return self.name

    @property
    def address(self) -> str:
        """The postal address as multi-line text (read-only; edit the structured fields)."""
        return render_address(party_address(self))

    def snapshot(self) -> dict:
        """The seller details an invoice keeps from the moment it is issued, as printed."""
        return {
            "name": self.name,
            "legal_name": self.legal_name,
            "email": self.email,
            "phone": self.phone,
            "address": self.address,
            **party_address(self),
            "tax_id": self.tax_id,
            "vat_id": self.vat_id,
            "legal_registration_id": self.legal_registration_id,
            "iban": self.iban,
            "bic": self.bic,
            "language": self.language,
            "legal_mentions": self.legal_mentions,
            "contact_name": self.contact_name,
            "peppol_id": self.peppol_id,
            "facturx": self.facturx,
            "payment_instructions": self.payment_instructions,
            "logo": self.logo.name if self.logo else "",
        }


class EInvoiceFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    FACTURX = "facturx", _("Factur-X (PDF with the e-invoice inside)")
    XRECHNUNG = "xrechnung", _("XRechnung (CII) with the PDF")
    PEPPOL = "peppol", _("Peppol BIS Billing 3.0 (UBL) with the PDF")


class Customer(TenantModel):
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    # Postal address (BG-8), rendered by ``billing_address``; see Business.
    address_line1 = models.CharField(max_length=200, blank=True)  # BT-50
    address_line2 = models.CharField(max_length=1000, blank=True)  # BT-51
    postcode = models.CharField(max_length=20, blank=True)  # BT-53
    city = models.CharField(max_length=100, blank=True)  # BT-52
    country = models.CharField(max_length=2, blank=True)  # BT-55; required once an invoice to it is issued
    tax_id = models.CharField(max_length=50, blank=True)
    vat_id = models.CharField(max_length=20, blank=True)  # BT-48, compact, with its country prefix
    legal_registration_id = models.CharField(max_length=100, blank=True)  # BT-47
    language = models.CharField(max_length=8, blank=True)  # of its documents; blank: the business's
    buyer_reference = models.CharField(max_length=200, blank=True)  # BT-10 (e.g. a Leitweg-ID)
    peppol_id = models.CharField(max_length=100, blank=True)  # BT-49, "scheme:id"
    # What the invoice email attaches: the PDF (the business's, Factur-X or not), the Factur-X
    # PDF, or the XRechnung / Peppol XML (the PDF as well, for people to read).
    einvoice_format = models.CharField(max_length=10, choices=EInvoiceFormat.choices, default=EInvoiceFormat.PDF)
    currency = models.CharField(max_length=3, validators=currency_code_validators, default="EUR")
    notes = models.TextField(blank=True, max_length=5000)
    archived = models.BooleanField(default=False)
    # Off: no payment reminder goes to this customer, for any invoice.
    reminders_enabled = models.BooleanField(default=True, verbose_name=_("payment reminders"))

    objects = TenantManager()

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["organization", "archived", "name"], name="customer_org_archived_name"),
            models.Index(fields=["organization", "-created_at"], name="customer_org_created"),
        ]

    def __str__(self):
        return self.name

    @property
    def billing_address(self) -> str:
        """The postal address as multi-line text (read-only; edit the structured fields)."""
        return render_address(party_address(self))

    def snapshot(self) -> dict:
        """The buyer details an invoice keeps from the moment it is issued, as printed."""
        return {
            "name": self.name,
            "email": self.email,
            "phone": self.phone,
            "billing_address": self.billing_address,
            **party_address(self),
            "tax_id": self.tax_id,
            "vat_id": self.vat_id,
            "legal_registration_id": self.legal_registration_id,
            "language": self.language,
            "buyer_reference": self.buyer_reference,
            "peppol_id": self.peppol_id,
        }


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    PARTIALLY_PAID = "partially_paid", _("Partially paid")
    PAID = "paid", _("Paid")
    # Everything invoiced was credited (cancelled, or corrected); ``void`` is only the history of
    # invoices voided before issued invoices became final.
    CREDITED = "credited", _("Credited")
    VOID = "void", _("Void")


class DiscountType(models.TextChoices):
    NONE = "none", _("No discount")
    PERCENT = "percent", _("Percent")
    AMOUNT = "amount", _("Amount")


class InvoiceQuerySet(models.QuerySet):
    """Selectors that belong on every invoice query (see ``billing.selectors`` for more)."""

    def overdue(self, *, today):
        return self.filter(status__in=OPEN_STATUSES, due_date__lt=today)


OPEN_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)
# Invoices a credit note (or cancel, or correct) can still credit.
CREDITABLE_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID)
# Invoices that count as invoiced (the dashboard's monthly chart): issued, not draft or void,
# less what credit notes took back (a fully credited invoice counts nothing).
INVOICED_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID)


class Invoice(TenantModel):
    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="invoices")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(max_length=64, null=True, blank=True)
    status = models.CharField(max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT)
    currency = models.CharField(max_length=3, validators=currency_code_validators)
    issue_date = models.DateField()
    due_date = models.DateField()
    discount_type = models.CharField(max_length=10, choices=DiscountType.choices, default=DiscountType.NONE)
    discount_value = models.DecimalField(max_digits=19, decimal_places=3, default=0)
    notes = models.TextField(blank=True, max_length=5000)
    terms = models.TextField(blank=True, max_length=5000)

    # Stored totals, always written by billing.calc through the services.
    subtotal = models.DecimalField(**MONEY, default=0)
    discount_total = models.DecimalField(**MONEY, default=0)
    tax_total = models.DecimalField(**MONEY, default=0)
    total = models.DecimalField(**MONEY, default=0)
    amount_paid = models.DecimalField(**MONEY, default=0)
    # The sum of the issued credit notes' totals, and of the refunds not voided.
    credited_total = models.DecimalField(**MONEY, default=0)
    amount_refunded = models.DecimalField(**MONEY, default=0)
    # balance_due = total - credited_total - amount_paid + amount_refunded; negative: refund due.
    balance_due = models.DecimalField(**MONEY, default=0)
    # BG-23, one row per (category, rate), by rate then category: [{"category": "S", "rate": "20.000",
    # "taxable_amount": "100.00", "tax_amount": "20.00", "exemption_reason": "", "exemption_reason_code": ""}]
    tax_breakdown = models.JSONField(default=list, blank=True)
    # The reason (BT-120) and VATEX code (BT-121) of each exempt category the lines use:
    # {"AE": {"text": "Reverse charge", "code": "VATEX-EU-AE"}}. Required for each at issue only.
    vat_exemption_reasons = models.JSONField(default=dict, blank=True)

    version = models.PositiveIntegerField(default=1)
    issued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    # The invoice this draft corrects (``invoice_correct``); the corrected one reads ``replaced_by``.
    replaces = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by")
    # Off: no payment reminder for this invoice. Not printed, so it may change after issue.
    reminders_enabled = models.BooleanField(default=True, verbose_name=_("payment reminders"))
    # A late fee invoice names the invoice whose reminder step charged it.
    late_fee_for = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="late_fees")
    # Seller and buyer as they were at issue; printed from then on, never changed.
    business_snapshot = models.JSONField(default=dict, blank=True)
    customer_snapshot = models.JSONField(default=dict, blank=True)
    created_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by_api_key = models.ForeignKey(
        "organizations.ApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = TenantManager(InvoiceQuerySet)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "number"],
                condition=Q(number__isnull=False),
                name="invoice_number_unique_per_business",
            ),
            models.CheckConstraint(
                condition=Q(status=InvoiceStatus.DRAFT, number__isnull=True)
                | (~Q(status=InvoiceStatus.DRAFT) & Q(number__isnull=False)),
                name="invoice_numbered_unless_draft",
            ),
            models.CheckConstraint(condition=Q(status__in=InvoiceStatus.values), name="invoice_status_valid"),
            models.CheckConstraint(condition=Q(due_date__gte=F("issue_date")), name="invoice_due_after_issue"),
            models.CheckConstraint(condition=Q(amount_paid__gte=0), name="invoice_amount_paid_not_negative"),
            models.CheckConstraint(condition=Q(amount_refunded__gte=0), name="invoice_amount_refunded_not_negative"),
            # Never credit more than was invoiced.
            models.CheckConstraint(
                condition=Q(credited_total__gte=0) & Q(credited_total__lte=F("total")),
                name="invoice_credited_within_total",
            ),
            # Rounded to the stored 3 places: SQLite computes with floats (100.00 - 33.33 is
            # 66.67000000000002 there); on PostgreSQL's exact numerics the rounding changes nothing.
            models.CheckConstraint(
                condition=Q(
                    balance_due=Round(F("total") - F("credited_total") - F("amount_paid") + F("amount_refunded"), 3)
                ),
                name="invoice_balance_adds_up",
            ),
            models.CheckConstraint(condition=Q(subtotal__gte=0), name="invoice_subtotal_not_negative"),
            models.CheckConstraint(
                condition=Q(discount_total__gte=0) & Q(discount_total__lte=F("subtotal")),
                name="invoice_discount_within_subtotal",
            ),
            models.CheckConstraint(
                condition=Q(total=Round(F("subtotal") - F("discount_total") + F("tax_total"), 3)),
                name="invoice_total_adds_up",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="invoice_org_created"),
            models.Index(fields=["organization", "status", "due_date"], name="invoice_org_status_due"),
            models.Index(fields=["organization", "customer", "-created_at"], name="invoice_org_customer"),
            models.Index(fields=["organization", "business", "-created_at"], name="invoice_org_business"),
            models.Index(fields=["organization", "issue_date"], name="invoice_org_issue_date"),
            models.Index(fields=["organization", "number"], name="invoice_org_number"),
            # The dashboard reads only open invoices and the last 12 months, whatever the
            # organization's history: these partial indexes hold exactly those rows, with every
            # column the dashboard's aggregates need, so PostgreSQL answers from the index alone.
            models.Index(
                fields=["organization", "due_date", "currency", "balance_due"],
                condition=Q(status__in=OPEN_STATUSES),
                name="invoice_open_org_due",
            ),
            models.Index(
                fields=["organization", "issue_date", "currency", "total", "credited_total"],
                condition=Q(status__in=INVOICED_STATUSES),
                name="invoice_invoiced_org_issue",
            ),
        ]

    def __str__(self):
        return self.number or f"Draft {str(self.pk)[:8]}"

    @property
    def is_draft(self):
        return self.status == InvoiceStatus.DRAFT

    def is_overdue_on(self, today) -> bool:
        return self.status in OPEN_STATUSES and self.due_date < today


class InvoiceItem(TenantModel):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    description = models.TextField(max_length=2000)
    quantity = models.DecimalField(max_digits=14, decimal_places=4)
    unit_price = models.DecimalField(max_digits=15, decimal_places=4)
    tax_rate = models.DecimalField(max_digits=6, decimal_places=3, default=0)
    vat_category = models.CharField(max_length=2, choices=VatCategory.choices, default=VatCategory.STANDARD)  # BT-151
    line_net = models.DecimalField(**MONEY)
    line_discount = models.DecimalField(**MONEY, default=0)

    objects = TenantManager()

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_item_unique_position"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="invoice_item_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="invoice_item_price_not_negative"),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0) & Q(tax_rate__lte=100), name="invoice_item_tax_rate_range"
            ),
            # Standard rate above 0, every other category at 0 (BR-S-05, BR-Z-05, BR-E-05, ...).
            models.CheckConstraint(
                condition=Q(vat_category=VatCategory.STANDARD, tax_rate__gt=0)
                | (Q(vat_category__in=VatCategory.values) & ~Q(vat_category=VatCategory.STANDARD) & Q(tax_rate=0)),
                name="invoice_item_vat_category_rate",
            ),
        ]
        indexes = [models.Index(fields=["organization", "invoice"], name="invoice_item_org_invoice")]

    def __str__(self):
        return self.description[:60]


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CARD = "card", _("Card")
    CASH = "cash", _("Cash")
    CHECK = "check", _("Check")
    OTHER = "other", _("Other")


class PaymentKind(models.TextChoices):
    PAYMENT = "payment", "Payment"
    REFUND = "refund", "Refund"


class Payment(TenantModel):
    """Money received for an invoice, or paid back to the customer (kind ``refund``)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=10, choices=PaymentKind.choices, default=PaymentKind.PAYMENT)
    amount = models.DecimalField(**MONEY)
    # The invoice's currency, copied when the payment is recorded (payments go to issued
    # invoices, whose currency is fixed): sums of payments by currency read one index.
    currency = models.CharField(max_length=3, editable=False)
    date = models.DateField()
    method = models.CharField(max_length=20, choices=PaymentMethod.choices, default=PaymentMethod.BANK_TRANSFER)
    reference = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True, max_length=2000)
    recorded_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_by_api_key = models.ForeignKey(
        "organizations.ApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_by_label = models.CharField(max_length=300, blank=True)
    voided = models.BooleanField(default=False)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=500, blank=True)
    voided_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    voided_by_label = models.CharField(max_length=300, blank=True)

    objects = TenantManager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(voided=False) | Q(voided_at__isnull=False), name="payment_voided_has_time"
            ),
            models.CheckConstraint(condition=~Q(currency=""), name="payment_currency_set"),
            models.CheckConstraint(condition=Q(kind__in=PaymentKind.values), name="payment_kind_valid"),
        ]
        indexes = [
            models.Index(fields=["organization", "invoice"], name="payment_org_invoice"),
            models.Index(fields=["organization", "date"], name="payment_org_date"),
            models.Index(fields=["organization", "-created_at"], name="payment_org_created"),
            # The dashboard's "paid" figures: payments not voided, by date, with currency and amount.
            models.Index(
                fields=["organization", "date", "currency", "amount", "kind"],
                condition=Q(voided=False),
                name="payment_live_org_date",
            ),
        ]

    def __str__(self):
        return f"{self.amount} {self.invoice.currency} on {self.date}"


class NumberSequenceKind(models.TextChoices):
    INVOICE = "invoice", "Invoices"
    CREDIT_NOTE = "credit_note", "Credit notes"


class NumberSequence(TenantModel):
    """A gapless counter of a business, one per kind of document (per year when the business
    resets that kind yearly). Locked with select_for_update in the transaction that issues."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="number_sequences")
    kind = models.CharField(max_length=16, choices=NumberSequenceKind.choices, default=NumberSequenceKind.INVOICE)
    year = models.PositiveSmallIntegerField(help_text="0 when the sequence never restarts.")
    last_value = models.PositiveIntegerField(default=0)

    objects = TenantManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business", "kind", "year"], name="number_sequence_unique_kind_year")
        ]
        indexes = [models.Index(fields=["organization", "business"], name="number_sequence_org_business")]

    def __str__(self):
        return f"{self.business} {self.kind} {self.year or 'all years'}: {self.last_value}"


# --- credit notes ---------------------------------------------------------------------------


class CreditNoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ISSUED = "issued", "Issued"


class CreditNote(TenantModel):
    """A correction of one issued invoice (document type 381, eu-invoicing.md): its own lines,
    each in a VAT category and rate the invoice used, a total no larger than what is left to
    credit, its own gapless number. A draft until issued; final after."""

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="credit_notes")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    number = models.CharField(max_length=64, null=True, blank=True)
    status = models.CharField(max_length=10, choices=CreditNoteStatus.choices, default=CreditNoteStatus.DRAFT)
    reason = models.TextField(max_length=2000, blank=True)
    issue_date = models.DateField()
    currency = models.CharField(max_length=3, validators=currency_code_validators)
    discount_type = models.CharField(max_length=10, choices=DiscountType.choices, default=DiscountType.NONE)
    discount_value = models.DecimalField(max_digits=19, decimal_places=3, default=0)

    subtotal = models.DecimalField(**MONEY, default=0)
    discount_total = models.DecimalField(**MONEY, default=0)
    tax_total = models.DecimalField(**MONEY, default=0)
    total = models.DecimalField(**MONEY, default=0)
    tax_breakdown = models.JSONField(default=list, blank=True)  # the invoice's shape
    vat_exemption_reasons = models.JSONField(default=dict, blank=True)  # the invoice's

    version = models.PositiveIntegerField(default=1)
    issued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The invoice it corrects, as printed (BT-25, BT-26), and both parties, copied at issue.
    invoice_number = models.CharField(max_length=64, blank=True)
    invoice_issue_date = models.DateField(null=True, blank=True)
    business_snapshot = models.JSONField(default=dict, blank=True)
    customer_snapshot = models.JSONField(default=dict, blank=True)
    created_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by_api_key = models.ForeignKey(
        "organizations.ApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = TenantManager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "number"],
                condition=Q(number__isnull=False),
                name="credit_note_number_unique_per_business",
            ),
            models.CheckConstraint(
                condition=Q(status=CreditNoteStatus.DRAFT, number__isnull=True)
                | Q(status=CreditNoteStatus.ISSUED, number__isnull=False),
                name="credit_note_numbered_when_issued",
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="credit_note_total_not_negative"),
            models.CheckConstraint(
                condition=Q(total=Round(F("subtotal") - F("discount_total") + F("tax_total"), 3)),
                name="credit_note_total_adds_up",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="credit_note_org_created"),
            models.Index(fields=["organization", "invoice"], name="credit_note_org_invoice"),
            models.Index(fields=["organization", "status"], name="credit_note_org_status"),
        ]

    def __str__(self):
        return self.number or f"Draft credit note {str(self.pk)[:8]}"

    @property
    def is_draft(self):
        return self.status == CreditNoteStatus.DRAFT

    @property
    def customer(self):
        """The customer of its invoice (a draft prints the live record, as a draft invoice does)."""
        return self.invoice.customer


class CreditNoteItem(TenantModel):
    """A line of a credit note: the shape and calc of an invoice item."""

    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    description = models.TextField(max_length=2000)
    quantity = models.DecimalField(max_digits=14, decimal_places=4)
    unit_price = models.DecimalField(max_digits=15, decimal_places=4)
    tax_rate = models.DecimalField(max_digits=6, decimal_places=3, default=0)
    vat_category = models.CharField(max_length=2, choices=VatCategory.choices, default=VatCategory.STANDARD)
    line_net = models.DecimalField(**MONEY)
    line_discount = models.DecimalField(**MONEY, default=0)

    objects = TenantManager()

    class Meta:
        ordering = ["credit_note", "position"]
        constraints = [
            models.UniqueConstraint(fields=["credit_note", "position"], name="credit_note_item_unique_position"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="credit_note_item_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="credit_note_item_price_not_negative"),
        ]
        indexes = [models.Index(fields=["organization", "credit_note"], name="credit_note_item_org_note")]

    def __str__(self):
        return self.description[:60]


# --- recurring invoices ---------------------------------------------------------------------


class RecurringFrequency(models.TextChoices):
    # The values of billing.recurrence.Frequency.
    WEEKLY = "weekly", _("Weekly")
    EVERY_2_WEEKS = "every_2_weeks", _("Every 2 weeks")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")


class RecurringMode(models.TextChoices):
    ISSUE_AND_SEND = "issue_and_send", _("Issue and send")
    DRAFT_ONLY = "draft_only", _("Create a draft only")


class RecurringInvoice(TenantModel):
    """A template the scheduled run turns into one invoice per period (billing.recurrence),
    in the organization's time zone. ``last_period`` is the nominal date of the last period
    run (created or skipped); the run only ever looks after it."""

    name = models.CharField(max_length=200, blank=True)
    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="recurring_invoices")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="recurring_invoices")
    currency = models.CharField(max_length=3, validators=currency_code_validators)
    discount_type = models.CharField(max_length=10, choices=DiscountType.choices, default=DiscountType.NONE)
    discount_value = models.DecimalField(max_digits=19, decimal_places=3, default=0)
    notes = models.TextField(blank=True, max_length=5000)
    terms = models.TextField(blank=True, max_length=5000)
    # The reasons sent for the template, per exempt category its lines use; each invoice takes
    # the business's reason for a category not here (as ``invoice_create`` defaults them).
    vat_exemption_reasons = models.JSONField(default=dict, blank=True)

    frequency = models.CharField(max_length=16, choices=RecurringFrequency.choices)
    # 1..31, or 0 for the last day of the month; null: the start date's day. Monthly,
    # quarterly and yearly schedules only.
    day_of_month = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(31)])
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    count = models.PositiveIntegerField(null=True, blank=True, help_text="End after this many invoices.")
    skip_weekends = models.BooleanField(default=False, help_text="Never on weekends: the next Monday instead.")
    mode = models.CharField(max_length=16, choices=RecurringMode.choices, default=RecurringMode.ISSUE_AND_SEND)
    max_catch_up = models.PositiveSmallIntegerField(default=3, validators=[MinValueValidator(1), MaxValueValidator(24)])
    paused = models.BooleanField(default=False)

    last_period = models.DateField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    # The run date of the next period (null: the schedule has ended); the run reads only
    # templates whose next run date has come somewhere on Earth.
    next_run_date = models.DateField(null=True, blank=True)
    skipped_count = models.PositiveIntegerField(default=0, help_text="Periods skipped by the catch-up cap.")
    last_error = models.TextField(blank=True)

    objects = TenantManager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="recurring_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(max_catch_up__gte=1) & Q(max_catch_up__lte=24), name="recurring_catch_up_range"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="recurring_org_created"),
            models.Index(fields=["paused", "next_run_date"], name="recurring_due"),
        ]

    def __str__(self):
        return self.name or f"{self.get_frequency_display()} recurring invoice"


class RecurringInvoiceLine(TenantModel):
    """A line of a template: the fields of an invoice item (amounts are computed per invoice)."""

    template = models.ForeignKey(RecurringInvoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    description = models.TextField(max_length=2000)
    quantity = models.DecimalField(max_digits=14, decimal_places=4)
    unit_price = models.DecimalField(max_digits=15, decimal_places=4)
    tax_rate = models.DecimalField(max_digits=6, decimal_places=3, default=0)
    vat_category = models.CharField(max_length=2, choices=VatCategory.choices, default=VatCategory.STANDARD)

    objects = TenantManager()

    class Meta:
        ordering = ["template", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "position"], name="recurring_line_unique_position"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="recurring_line_quantity_positive"),
            # As on invoice items: standard rate above 0, every other category at 0.
            models.CheckConstraint(
                condition=Q(vat_category=VatCategory.STANDARD, tax_rate__gt=0)
                | (Q(vat_category__in=VatCategory.values) & ~Q(vat_category=VatCategory.STANDARD) & Q(tax_rate=0)),
                name="recurring_line_vat_category_rate",
            ),
        ]
        indexes = [models.Index(fields=["organization", "template"], name="recurring_line_org_template")]

    def __str__(self):
        return self.description[:60]


class RecurringRun(TenantModel):
    """One period of a template, run once: the invoice it created, or skipped by the catch-up
    cap. The unique (template, period) makes a second run of the same period impossible."""

    class Status(models.TextChoices):
        CREATED = "created", _("Invoice created")
        SKIPPED = "skipped", _("Skipped (catch-up cap)")

    template = models.ForeignKey(RecurringInvoice, on_delete=models.CASCADE, related_name="runs")
    period = models.DateField(help_text="The period's nominal date (before any weekend shift).")
    run_date = models.DateField(help_text="The invoice's issue date.")
    status = models.CharField(max_length=10, choices=Status.choices)
    # Null when skipped, or when the draft it created was deleted since.
    invoice = models.ForeignKey(
        Invoice, on_delete=models.SET_NULL, null=True, blank=True, related_name="recurring_runs"
    )
    email_queued = models.BooleanField(default=False)
    note = models.TextField(blank=True, help_text="Why the invoice was not sent, for instance.")

    objects = TenantManager()

    class Meta:
        ordering = ["template", "-period"]
        constraints = [
            models.UniqueConstraint(fields=["template", "period"], name="recurring_run_once_per_period"),
            models.CheckConstraint(condition=Q(status__in=["created", "skipped"]), name="recurring_run_status_valid"),
        ]
        indexes = [models.Index(fields=["organization", "template", "-period"], name="recurring_run_org_template")]

    def __str__(self):
        return f"{self.template_id} {self.period}: {self.status}"


# --- payment reminders ----------------------------------------------------------------------

MAX_REMINDER_STEPS = 5
# Marked for translation: a step that keeps its default text sends it in each document's
# language; a text the business wrote is sent as written. ``{open_invoices}`` is the list of
# everything the customer has open (number, due date, balance).
DEFAULT_REMINDER_SUBJECT_BEFORE = gettext_noop("Invoice {number} is due on {due_date}")
DEFAULT_REMINDER_BODY_BEFORE = gettext_noop(
    "Hello {customer_name},\n\n"
    "A friendly reminder: invoice {number} for {total} is due on {due_date}; {balance} is still open.\n\n"
    "What is open on your account:\n{open_invoices}\n\n"
    "If you have already paid, thank you, and please ignore this message.\n{business_name}"
)
DEFAULT_REMINDER_SUBJECT_AFTER = gettext_noop("Reminder: invoice {number} was due on {due_date}")
DEFAULT_REMINDER_BODY_AFTER = gettext_noop(
    "Hello {customer_name},\n\n"
    "Invoice {number} for {total} was due on {due_date}, {days_overdue} days ago, and {balance} is still open. "
    "Please pay it at your earliest convenience; the invoice is attached.\n\n"
    "What is open on your account:\n{open_invoices}\n\n"
    "If you have already paid, thank you, and please ignore this message.\n{business_name}"
)
DEFAULT_REMINDER_TEXTS = (
    (DEFAULT_REMINDER_SUBJECT_BEFORE, DEFAULT_REMINDER_BODY_BEFORE),
    (DEFAULT_REMINDER_SUBJECT_AFTER, DEFAULT_REMINDER_BODY_AFTER),
)


class LateFeeType(models.TextChoices):
    NONE = "none", _("No late fee")
    FIXED = calc.LATE_FEE_FIXED, _("Fixed amount")
    PERCENT = calc.LATE_FEE_PERCENT, _("Percent of the balance")


class ReminderStep(TenantModel):
    """One step of a business's reminder schedule: ``offset_days`` from the due date
    (negative: before it), its own email texts and an optional late fee. A business has at
    most five, numbered 1.. by their offsets."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="reminder_steps")
    position = models.PositiveSmallIntegerField()
    offset_days = models.SmallIntegerField()
    subject = models.CharField(max_length=200)
    body = models.TextField(max_length=5000)
    late_fee_type = models.CharField(max_length=10, choices=LateFeeType.choices, default=LateFeeType.NONE)
    # An amount in the invoice's currency, or a percentage of its balance.
    late_fee_value = models.DecimalField(max_digits=19, decimal_places=3, default=0)

    objects = TenantManager()

    class Meta:
        ordering = ["business", "position"]
        constraints = [
            models.UniqueConstraint(fields=["business", "position"], name="reminder_step_unique_position"),
            models.UniqueConstraint(fields=["business", "offset_days"], name="reminder_step_unique_offset"),
            models.CheckConstraint(
                condition=Q(position__gte=1) & Q(position__lte=MAX_REMINDER_STEPS), name="reminder_step_position_range"
            ),
            models.CheckConstraint(
                condition=Q(offset_days__gte=-365) & Q(offset_days__lte=365), name="reminder_step_offset_range"
            ),
            models.CheckConstraint(condition=Q(late_fee_value__gte=0), name="reminder_step_fee_not_negative"),
            models.CheckConstraint(
                condition=Q(late_fee_type__in=LateFeeType.values), name="reminder_step_fee_type_valid"
            ),
        ]
        indexes = [models.Index(fields=["organization", "business", "position"], name="reminder_step_org_business")]

    def __str__(self):
        return f"{self.business_id} step {self.position} ({self.offset_days:+d} days)"


class ReminderStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Skipped")


class ReminderSkipReason(models.TextChoices):
    NONE = "", "-"
    SUPERSEDED = "superseded", _("A later step was due at the same time")
    PAID = "paid", _("The invoice was paid")
    CREDITED = "credited", _("The invoice was credited")
    NOT_OPEN = "not_open", _("The invoice is no longer open")
    OPTED_OUT = "opted_out", _("Reminders were turned off")
    NOT_SENDABLE = "not_sendable", _("The email could not be sent")


class PaymentReminder(TenantModel):
    """One step of the schedule for one invoice, done once: the unique (invoice, step_number)
    makes a second reminder of the same step impossible. ``scheduled`` once its email is
    queued; ``sent`` when the outbox sent it; ``skipped`` with the reason otherwise."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="reminders")
    step = models.ForeignKey(ReminderStep, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    step_number = models.PositiveSmallIntegerField()
    offset_days = models.SmallIntegerField()
    scheduled_for = models.DateField(help_text="The due date plus the step's offset.")
    status = models.CharField(max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.SCHEDULED)
    reason = models.CharField(max_length=16, choices=ReminderSkipReason.choices, blank=True, default="")
    note = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The id of the outbox row (documents.OutboundEmail) that carries it; none when skipped.
    email_id = models.UUIDField(null=True, blank=True)
    late_fee_invoice = models.OneToOneField(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="late_fee_reminder"
    )

    objects = TenantManager()

    class Meta:
        ordering = ["invoice", "step_number"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "step_number"], name="reminder_once_per_step"),
            models.CheckConstraint(condition=Q(status__in=ReminderStatus.values), name="reminder_status_valid"),
            models.CheckConstraint(
                condition=Q(status=ReminderStatus.SENT, sent_at__isnull=False) | ~Q(status=ReminderStatus.SENT),
                name="reminder_sent_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "invoice", "step_number"], name="reminder_org_invoice"),
            models.Index(fields=["organization", "-created_at"], name="reminder_org_created"),
        ]

    def __str__(self):
        return f"{self.invoice_id} step {self.step_number}: {self.status}"
