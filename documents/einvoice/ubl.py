"""The OASIS UBL 2.1 syntax of EN 16931 (Invoice and CreditNote documents), built with lxml.

Element order follows the UBL 2.1 maindoc and common XSDs; the business-term mapping follows
CEN/TS 16931-3-2. A credit note has no document-level due date in UBL: BT-9 goes into its
payment means (PaymentDueDate), as the binding says. Callers go through
`documents.einvoice.render`, which checks the format's requirements first.
"""

from lxml import etree

from .decimals import amount_text, number_text
from .formats import Format
from .model import OUTSIDE_SCOPE, Address, Buyer, Contact, Document, Seller

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


def _cac(parent, tag: str):
    return etree.SubElement(parent, f"{{{CAC}}}{tag}")


def _cbc(parent, tag: str, text: str, **attrib: str) -> None:
    etree.SubElement(parent, f"{{{CBC}}}{tag}", attrib).text = text


def _cbc_if(parent, tag: str, text: str, **attrib: str) -> None:
    """An optional text element: written only when there is something to say (no empty elements)."""
    if text.strip():
        _cbc(parent, tag, text, **attrib)


def write(document: Document, fmt: Format) -> bytes:
    """The document as UBL XML bytes: the same document and format always give the same bytes."""
    credit = document.is_credit_note
    outside_scope = OUTSIDE_SCOPE in document.vat_categories
    root_ns = CREDIT_NOTE_NS if credit else INVOICE_NS
    root = etree.Element(
        f"{{{root_ns}}}{'CreditNote' if credit else 'Invoice'}", nsmap={None: root_ns, "cac": CAC, "cbc": CBC}
    )
    _header(root, document, fmt)
    _party(_cac(root, "AccountingSupplierParty"), document.seller, outside_scope)  # BG-4
    _party(_cac(root, "AccountingCustomerParty"), document.buyer, outside_scope)  # BG-7
    _delivery(root, document)
    _payment(root, document)
    _allowances_and_totals(root, document)
    _lines(root, document)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _money(parent, tag: str, value, document: Document) -> None:
    _cbc(parent, tag, amount_text(value, document.currency), currencyID=document.currency)


def _header(root, document: Document, fmt: Format) -> None:
    credit = document.is_credit_note
    currency = document.currency
    _cbc(root, "CustomizationID", fmt.specification_id)  # BT-24
    _cbc_if(root, "ProfileID", fmt.business_process)  # BT-23
    _cbc(root, "ID", document.number)  # BT-1
    _cbc(root, "IssueDate", document.issue_date.isoformat())  # BT-2
    if document.due_date is not None and not credit:
        _cbc(root, "DueDate", document.due_date.isoformat())  # BT-9
    _cbc(root, "CreditNoteTypeCode" if credit else "InvoiceTypeCode", document.type_code)  # BT-3
    notes = [note for note in document.notes if note.strip()]
    if fmt.is_peppol and len(notes) > 1:
        notes = ["\n\n".join(notes)]  # PEPPOL-EN16931-R002: one note per document
    for note in notes:
        _cbc(root, "Note", note)  # BT-22
    _cbc(root, "DocumentCurrencyCode", currency)  # BT-5
    _cbc_if(root, "BuyerReference", document.buyer_reference)  # BT-10
    if document.order_reference.strip():
        _cbc(_cac(root, "OrderReference"), "ID", document.order_reference)  # BT-13
    if document.preceding_invoice is not None:  # BG-3
        reference = _cac(_cac(root, "BillingReference"), "InvoiceDocumentReference")
        _cbc(reference, "ID", document.preceding_invoice.number)  # BT-25
        if document.preceding_invoice.issue_date is not None:
            _cbc(reference, "IssueDate", document.preceding_invoice.issue_date.isoformat())  # BT-26


def _delivery(root, document: Document) -> None:
    if document.delivery is not None:  # BG-13
        delivery = _cac(root, "Delivery")
        if document.delivery.date is not None:
            _cbc(delivery, "ActualDeliveryDate", document.delivery.date.isoformat())  # BT-72
        if document.delivery.address is not None:
            _address(_cac(delivery, "DeliveryLocation"), document.delivery.address, tag="Address")  # BG-15
        if document.delivery.party_name.strip():
            _cbc(_cac(_cac(delivery, "DeliveryParty"), "PartyName"), "Name", document.delivery.party_name)  # BT-70


def _payment(root, document: Document) -> None:
    credit = document.is_credit_note
    payment = document.payment_instructions
    if payment is not None:  # BG-16
        means = _cac(root, "PaymentMeans")
        _cbc(means, "PaymentMeansCode", payment.means_code)  # BT-81
        if document.due_date is not None and credit:
            _cbc(means, "PaymentDueDate", document.due_date.isoformat())  # BT-9 of a credit note
        _cbc_if(means, "PaymentID", payment.remittance_information)  # BT-83
        if payment.account_id.strip():  # BG-17
            account = _cac(means, "PayeeFinancialAccount")
            _cbc(account, "ID", payment.account_id)  # BT-84
            _cbc_if(account, "Name", payment.account_name)  # BT-85
            if payment.bank_id.strip():
                _cbc(_cac(account, "FinancialInstitutionBranch"), "ID", payment.bank_id)  # BT-86
    if document.payment_terms.strip():
        _cbc(_cac(root, "PaymentTerms"), "Note", document.payment_terms)  # BT-20


def _allowances_and_totals(root, document: Document) -> None:
    for allowance in document.allowances:  # BG-20
        charge = _cac(root, "AllowanceCharge")
        _cbc(charge, "ChargeIndicator", "false")
        _cbc_if(charge, "AllowanceChargeReasonCode", allowance.reason_code)  # BT-98
        _cbc_if(charge, "AllowanceChargeReason", allowance.reason)  # BT-97
        _money(charge, "Amount", allowance.amount, document)  # BT-92
        _tax_category(charge, "TaxCategory", allowance.vat_category, allowance.vat_rate)  # BT-95, BT-96

    totals = document.totals
    tax_total = _cac(root, "TaxTotal")
    _money(tax_total, "TaxAmount", totals.tax_total, document)  # BT-110
    for row in document.vat_breakdown:  # BG-23
        subtotal = _cac(tax_total, "TaxSubtotal")
        _money(subtotal, "TaxableAmount", row.taxable_amount, document)  # BT-116
        _money(subtotal, "TaxAmount", row.tax_amount, document)  # BT-117
        category = _cac(subtotal, "TaxCategory")
        _cbc(category, "ID", row.category)  # BT-118
        _cbc(category, "Percent", number_text(row.rate))  # BT-119
        _cbc_if(category, "TaxExemptionReasonCode", row.exemption_reason_code)  # BT-121
        _cbc_if(category, "TaxExemptionReason", row.exemption_reason)  # BT-120
        _cbc(_cac(category, "TaxScheme"), "ID", "VAT")

    monetary = _cac(root, "LegalMonetaryTotal")  # BG-22
    _money(monetary, "LineExtensionAmount", totals.line_net_total, document)  # BT-106
    _money(monetary, "TaxExclusiveAmount", totals.tax_exclusive, document)  # BT-109
    _money(monetary, "TaxInclusiveAmount", totals.tax_inclusive, document)  # BT-112
    if document.allowances:
        _money(monetary, "AllowanceTotalAmount", totals.allowance_total, document)  # BT-107
    if totals.prepaid:
        _money(monetary, "PrepaidAmount", totals.prepaid, document)  # BT-113
    _money(monetary, "PayableAmount", totals.payable, document)  # BT-115


def _lines(root, document: Document) -> None:
    credit = document.is_credit_note
    for line in document.lines:  # BG-25
        element = _cac(root, "CreditNoteLine" if credit else "InvoiceLine")
        _cbc(element, "ID", line.id)  # BT-126
        quantity_tag = "CreditedQuantity" if credit else "InvoicedQuantity"
        _cbc(element, quantity_tag, number_text(line.quantity), unitCode=line.unit_code)  # BT-129, BT-130
        _money(element, "LineExtensionAmount", line.net_amount, document)  # BT-131
        item = _cac(element, "Item")
        _cbc_if(item, "Description", line.description)  # BT-154
        _cbc(item, "Name", line.name)  # BT-153
        _tax_category(item, "ClassifiedTaxCategory", line.vat_category, line.vat_rate)  # BT-151, BT-152
        _cbc(_cac(element, "Price"), "PriceAmount", number_text(line.net_price), currencyID=document.currency)  # BT-146


def _tax_category(parent, tag: str, category: str, rate) -> None:
    element = _cac(parent, tag)
    _cbc(element, "ID", category)
    if category != OUTSIDE_SCOPE:  # BR-O-05, BR-O-06: no rate for "not subject to VAT"
        _cbc(element, "Percent", number_text(rate))
    _cbc(_cac(element, "TaxScheme"), "ID", "VAT")


def _party(parent, party: Seller | Buyer, outside_scope: bool) -> None:
    element = _cac(parent, "Party")
    if party.electronic_address is not None:  # BT-34 / BT-49
        address = party.electronic_address
        _cbc(element, "EndpointID", address.identifier, schemeID=address.scheme)
    if party.trading_name.strip():
        _cbc(_cac(element, "PartyName"), "Name", party.trading_name)  # BT-28 / BT-45
    _address(element, party.address, tag="PostalAddress")  # BG-5 / BG-8
    if party.vat_id.strip() and not outside_scope:  # BT-31 / BT-48 (BR-O-02: none for "not subject to VAT")
        _tax_scheme(element, party.vat_id, "VAT")
    if isinstance(party, Seller) and party.tax_registration_id.strip():  # BT-32
        _tax_scheme(element, party.tax_registration_id, "TAX")
    legal = _cac(element, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", party.name)  # BT-27 / BT-44
    if party.legal_registration_id.strip():  # BT-30 / BT-47
        scheme = {"schemeID": party.legal_registration_scheme} if party.legal_registration_scheme else {}
        _cbc(legal, "CompanyID", party.legal_registration_id, **scheme)
    if isinstance(party, Seller):
        _cbc_if(legal, "CompanyLegalForm", party.legal_info)  # BT-33
    _contact(element, party.contact)  # BG-6 / BG-9


def _tax_scheme(parent, company_id: str, scheme: str) -> None:
    element = _cac(parent, "PartyTaxScheme")
    _cbc(element, "CompanyID", company_id)
    _cbc(_cac(element, "TaxScheme"), "ID", scheme)


def _contact(parent, contact: Contact) -> None:
    if not (contact.name.strip() or contact.phone.strip() or contact.email.strip()):
        return
    element = _cac(parent, "Contact")
    _cbc_if(element, "Name", contact.name)
    _cbc_if(element, "Telephone", contact.phone)
    _cbc_if(element, "ElectronicMail", contact.email)


def _address(parent, address: Address, *, tag: str) -> None:
    element = _cac(parent, tag)
    _cbc_if(element, "StreetName", address.line1)
    _cbc_if(element, "AdditionalStreetName", address.line2)
    _cbc_if(element, "CityName", address.city)
    _cbc_if(element, "PostalZone", address.postcode)
    _cbc(_cac(element, "Country"), "IdentificationCode", address.country)
