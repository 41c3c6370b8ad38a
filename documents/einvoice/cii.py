"""The UN/CEFACT Cross Industry Invoice (D16B) syntax of EN 16931, built with lxml.

Element order follows the D16B XSD (the tests validate against it); the business-term
mapping follows CEN/TS 16931-3-3. Callers go through `documents.einvoice.render`, which
checks the format's requirements first.
"""

from lxml import etree

from .decimals import amount_text, number_text
from .formats import Format
from .model import (
    OUTSIDE_SCOPE,
    SEPA_CREDIT_TRANSFER,
    Address,
    Buyer,
    Contact,
    Document,
    ElectronicAddress,
    Seller,
)

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "qdt": QDT, "udt": UDT}


def _el(parent, ns: str, tag: str, text: str | None = None, **attrib: str):
    element = etree.SubElement(parent, f"{{{ns}}}{tag}", attrib)
    if text is not None:
        element.text = text
    return element


def _ram(parent, tag: str, text: str | None = None, **attrib: str):
    return _el(parent, RAM, tag, text, **attrib)


def _ram_if(parent, tag: str, text: str, **attrib: str) -> None:
    """An optional text element: written only when there is something to say (no empty elements)."""
    if text.strip():
        _ram(parent, tag, text, **attrib)


def _date(parent, tag: str, value, ns: str = UDT) -> None:
    _el(_ram(parent, tag), ns, "DateTimeString", value.strftime("%Y%m%d"), format="102")


def write(document: Document, fmt: Format) -> bytes:
    """The document as CII XML bytes: the same document and format always give the same bytes."""
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    _context_and_header(root, document, fmt)
    transaction = _el(root, RSM, "SupplyChainTradeTransaction")
    _lines(transaction, document)
    _agreement_and_delivery(transaction, document)
    settlement = _ram(transaction, "ApplicableHeaderTradeSettlement")
    _settlement(settlement, document)
    _summation(settlement, document)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _amount(value, document: Document) -> str:
    return amount_text(value, document.currency)


def _context_and_header(root, document: Document, fmt: Format) -> None:
    context = _el(root, RSM, "ExchangedDocumentContext")
    if fmt.business_process:
        _ram(_ram(context, "BusinessProcessSpecifiedDocumentContextParameter"), "ID", fmt.business_process)  # BT-23
    _ram(_ram(context, "GuidelineSpecifiedDocumentContextParameter"), "ID", fmt.specification_id)  # BT-24

    header = _el(root, RSM, "ExchangedDocument")
    _ram(header, "ID", document.number)  # BT-1
    _ram(header, "TypeCode", document.type_code)  # BT-3
    _date(header, "IssueDateTime", document.issue_date)  # BT-2
    for note in document.notes:  # BT-22
        if note.strip():
            _ram(_ram(header, "IncludedNote"), "Content", note)


def _lines(transaction, document: Document) -> None:
    for line in document.lines:  # BG-25
        item = _ram(transaction, "IncludedSupplyChainTradeLineItem")
        _ram(_ram(item, "AssociatedDocumentLineDocument"), "LineID", line.id)  # BT-126
        product = _ram(item, "SpecifiedTradeProduct")
        _ram(product, "Name", line.name)  # BT-153
        _ram_if(product, "Description", line.description)  # BT-154
        price = _ram(_ram(item, "SpecifiedLineTradeAgreement"), "NetPriceProductTradePrice")
        _ram(price, "ChargeAmount", number_text(line.net_price))  # BT-146
        delivery = _ram(item, "SpecifiedLineTradeDelivery")
        _ram(delivery, "BilledQuantity", number_text(line.quantity), unitCode=line.unit_code)  # BT-129, BT-130
        settlement = _ram(item, "SpecifiedLineTradeSettlement")
        _tax_category(settlement, "ApplicableTradeTax", line.vat_category, line.vat_rate)  # BT-151, BT-152
        summation = _ram(settlement, "SpecifiedTradeSettlementLineMonetarySummation")
        _ram(summation, "LineTotalAmount", _amount(line.net_amount, document))  # BT-131


def _agreement_and_delivery(transaction, document: Document) -> None:
    outside_scope = OUTSIDE_SCOPE in document.vat_categories
    agreement = _ram(transaction, "ApplicableHeaderTradeAgreement")
    _ram_if(agreement, "BuyerReference", document.buyer_reference)  # BT-10
    _party(agreement, "SellerTradeParty", document.seller, outside_scope)  # BG-4
    _party(agreement, "BuyerTradeParty", document.buyer, outside_scope)  # BG-7
    if document.order_reference.strip():
        _ram(_ram(agreement, "BuyerOrderReferencedDocument"), "IssuerAssignedID", document.order_reference)  # BT-13

    delivery = _ram(transaction, "ApplicableHeaderTradeDelivery")  # required, may be empty
    if document.delivery is not None:  # BG-13
        if document.delivery.address is not None or document.delivery.party_name.strip():
            ship_to = _ram(delivery, "ShipToTradeParty")
            _ram_if(ship_to, "Name", document.delivery.party_name)  # BT-70
            if document.delivery.address is not None:
                _address(ship_to, document.delivery.address)  # BG-15
        if document.delivery.date is not None:
            _date(_ram(delivery, "ActualDeliverySupplyChainEvent"), "OccurrenceDateTime", document.delivery.date)


def _settlement(settlement, document: Document) -> None:
    """Payment reference and means, currency, VAT breakdown, allowances and payment terms."""
    payment = document.payment_instructions
    if payment is not None:
        _ram_if(settlement, "PaymentReference", payment.remittance_information)  # BT-83
    _ram(settlement, "InvoiceCurrencyCode", document.currency)  # BT-5
    if payment is not None:  # BG-16
        means = _ram(settlement, "SpecifiedTradeSettlementPaymentMeans")
        _ram(means, "TypeCode", payment.means_code)  # BT-81
        if payment.account_id.strip():  # BG-17
            account = _ram(means, "PayeePartyCreditorFinancialAccount")
            _ram(
                account, "IBANID" if payment.means_code == SEPA_CREDIT_TRANSFER else "ProprietaryID", payment.account_id
            )
            _ram_if(account, "AccountName", payment.account_name)  # BT-85
        if payment.bank_id.strip():
            _ram(_ram(means, "PayeeSpecifiedCreditorFinancialInstitution"), "BICID", payment.bank_id)  # BT-86
    for row in document.vat_breakdown:  # BG-23
        tax = _ram(settlement, "ApplicableTradeTax")
        _ram(tax, "CalculatedAmount", _amount(row.tax_amount, document))  # BT-117
        _ram(tax, "TypeCode", "VAT")
        _ram_if(tax, "ExemptionReason", row.exemption_reason)  # BT-120
        _ram(tax, "BasisAmount", _amount(row.taxable_amount, document))  # BT-116
        _ram(tax, "CategoryCode", row.category)  # BT-118
        _ram_if(tax, "ExemptionReasonCode", row.exemption_reason_code)  # BT-121
        _ram(tax, "RateApplicablePercent", number_text(row.rate))  # BT-119
    for allowance in document.allowances:  # BG-20
        charge = _ram(settlement, "SpecifiedTradeAllowanceCharge")
        _el(_ram(charge, "ChargeIndicator"), UDT, "Indicator", "false")
        _ram(charge, "ActualAmount", _amount(allowance.amount, document))  # BT-92
        _ram_if(charge, "ReasonCode", allowance.reason_code)  # BT-98
        _ram_if(charge, "Reason", allowance.reason)  # BT-97
        _tax_category(charge, "CategoryTradeTax", allowance.vat_category, allowance.vat_rate)  # BT-95, BT-96
    if document.payment_terms.strip() or document.due_date is not None:
        terms = _ram(settlement, "SpecifiedTradePaymentTerms")
        _ram_if(terms, "Description", document.payment_terms)  # BT-20
        if document.due_date is not None:
            _date(terms, "DueDateDateTime", document.due_date)  # BT-9


def _summation(settlement, document: Document) -> None:
    totals = document.totals
    summation = _ram(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")  # BG-22
    _ram(summation, "LineTotalAmount", _amount(totals.line_net_total, document))  # BT-106
    if document.allowances:
        _ram(summation, "AllowanceTotalAmount", _amount(totals.allowance_total, document))  # BT-107
    _ram(summation, "TaxBasisTotalAmount", _amount(totals.tax_exclusive, document))  # BT-109
    _ram(summation, "TaxTotalAmount", _amount(totals.tax_total, document), currencyID=document.currency)  # BT-110
    _ram(summation, "GrandTotalAmount", _amount(totals.tax_inclusive, document))  # BT-112
    if totals.prepaid:
        _ram(summation, "TotalPrepaidAmount", _amount(totals.prepaid, document))  # BT-113
    _ram(summation, "DuePayableAmount", _amount(totals.payable, document))  # BT-115
    if document.preceding_invoice is not None:  # BG-3
        reference = _ram(settlement, "InvoiceReferencedDocument")
        _ram(reference, "IssuerAssignedID", document.preceding_invoice.number)  # BT-25
        if document.preceding_invoice.issue_date is not None:
            _date(reference, "FormattedIssueDateTime", document.preceding_invoice.issue_date, ns=QDT)  # BT-26


def _tax_category(parent, tag: str, category: str, rate) -> None:
    tax = _ram(parent, tag)
    _ram(tax, "TypeCode", "VAT")
    _ram(tax, "CategoryCode", category)
    if category != OUTSIDE_SCOPE:  # BR-O-05, BR-O-06: no rate for "not subject to VAT"
        _ram(tax, "RateApplicablePercent", number_text(rate))


def _party(parent, tag: str, party: Seller | Buyer, outside_scope: bool) -> None:
    element = _ram(parent, tag)
    _ram(element, "Name", party.name)  # BT-27 / BT-44
    if isinstance(party, Seller):
        _ram_if(element, "Description", party.legal_info)  # BT-33
    if party.legal_registration_id.strip() or party.trading_name.strip():
        legal = _ram(element, "SpecifiedLegalOrganization")
        if party.legal_registration_id.strip():  # BT-30 / BT-47
            scheme = {"schemeID": party.legal_registration_scheme} if party.legal_registration_scheme else {}
            _ram(legal, "ID", party.legal_registration_id, **scheme)
        _ram_if(legal, "TradingBusinessName", party.trading_name)  # BT-28 / BT-45
    _contact(element, party.contact)  # BG-6 / BG-9
    _address(element, party.address)  # BG-5 / BG-8
    _electronic_address(element, party.electronic_address)  # BT-34 / BT-49
    if party.vat_id.strip() and not outside_scope:  # BT-31 / BT-48 (BR-O-02: none for "not subject to VAT")
        _ram(_ram(element, "SpecifiedTaxRegistration"), "ID", party.vat_id, schemeID="VA")
    if isinstance(party, Seller) and party.tax_registration_id.strip():  # BT-32
        _ram(_ram(element, "SpecifiedTaxRegistration"), "ID", party.tax_registration_id, schemeID="FC")


def _contact(parent, contact: Contact) -> None:
    if not (contact.name.strip() or contact.phone.strip() or contact.email.strip()):
        return
    element = _ram(parent, "DefinedTradeContact")
    _ram_if(element, "PersonName", contact.name)
    if contact.phone.strip():
        _ram(_ram(element, "TelephoneUniversalCommunication"), "CompleteNumber", contact.phone)
    if contact.email.strip():
        _ram(_ram(element, "EmailURIUniversalCommunication"), "URIID", contact.email)


def _address(parent, address: Address) -> None:
    element = _ram(parent, "PostalTradeAddress")
    _ram_if(element, "PostcodeCode", address.postcode)
    _ram_if(element, "LineOne", address.line1)
    _ram_if(element, "LineTwo", address.line2)
    _ram_if(element, "CityName", address.city)
    _ram(element, "CountryID", address.country)


def _electronic_address(parent, address: ElectronicAddress | None) -> None:
    if address is not None:
        _ram(_ram(parent, "URIUniversalCommunication"), "URIID", address.identifier, schemeID=address.scheme)
