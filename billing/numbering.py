"""Document numbers (billing-rules.md "Numbering"): per business and kind of document
(invoices, credit notes), unique and gapless.

The number is drawn in the transaction that issues the document, from the business's
``NumberSequence`` row of that kind locked with ``select_for_update``: concurrent issues of
one business queue on that lock, so N of them get N consecutive numbers and a rollback
returns its number. Each kind reads its own format, width and yearly reset on the business.
"""

import re
from datetime import date

from django.db import IntegrityError, transaction

from billing.models import NumberSequence, NumberSequenceKind

TOKENS = ("YYYY", "YY", "MM", "SEQ")
MAX_NUMBER_LENGTH = 64  # Invoice.number


def format_number(number_format: str, *, sequence: int, width: int, on_date: date) -> str:
    """``INV-{YYYY}-{SEQ}`` with width 4 on 2026-11-25, sequence 7 -> ``INV-2026-0007``."""
    values = {
        "YYYY": f"{on_date.year:04d}",
        "YY": f"{on_date.year % 100:02d}",
        "MM": f"{on_date.month:02d}",
        "SEQ": str(sequence).zfill(width),
    }
    return re.sub(r"\{(YYYY|YY|MM|SEQ)\}", lambda match: values[match.group(1)], number_format)


def _settings(business, kind: str) -> tuple[str, int, bool]:
    """The business's format, width and yearly reset for ``kind``."""
    prefix = "credit_note" if kind == NumberSequenceKind.CREDIT_NOTE else "invoice"
    return (
        getattr(business, f"{prefix}_number_format"),
        getattr(business, f"{prefix}_number_width"),
        getattr(business, f"{prefix}_number_yearly_reset"),
    )


def next_number(business, *, on_date: date, kind: str = NumberSequenceKind.INVOICE) -> str:
    """Draw the next number of ``business`` for ``kind``; call inside the issuing transaction."""
    number_format, width, yearly_reset = _settings(business, kind)
    sequence = _locked_sequence(business, kind, on_date.year if yearly_reset else 0)
    sequence.last_value += 1
    sequence.save(update_fields=["last_value", "updated_at"])
    return format_number(number_format, sequence=sequence.last_value, width=width, on_date=on_date)


def lock_sequences(business, *, on_dates, kind: str = NumberSequenceKind.INVOICE) -> None:
    """Lock the sequences that issuing on ``on_dates`` will draw from, in ascending year order,
    for a transaction that issues several invoices and writes audit entries in between (a
    recurring run): it then takes the sequences before the audit chain, as every service does."""
    yearly_reset = _settings(business, kind)[2]
    years = {on_date.year if yearly_reset else 0 for on_date in on_dates}
    for year in sorted(years):
        _locked_sequence(business, kind, year)


def _locked_sequence(business, kind: str, year: int) -> NumberSequence:
    lookup = {"organization_id": business.organization_id, "business": business, "kind": kind, "year": year}
    sequence = NumberSequence.objects.select_for_update().filter(**lookup).first()
    if sequence is not None:
        return sequence
    # First number of this business (or year): create the row; a concurrent creator makes
    # ours fail on the unique constraint, and then we queue on its row like everyone else.
    try:
        with transaction.atomic():
            NumberSequence.objects.create(
                organization_id=business.organization_id, business=business, kind=kind, year=year
            )
    except IntegrityError:
        pass
    return NumberSequence.objects.select_for_update().get(**lookup)
