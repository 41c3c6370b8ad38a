"""``{% load parties %}`` then ``{{ customer|postal_address|linebreaksbr }}``.

The address of a business or customer, or of an invoice's snapshot of one, rendered by
``billing.addresses`` (the one rendering) with the country named in the active language.
"""

from collections.abc import Mapping

from django import template
from django.utils.translation import get_language

from billing.addresses import party_address, render_address

register = template.Library()


@register.filter
def postal_address(party) -> str:
    if not party:
        return ""
    values = party if isinstance(party, Mapping) else party_address(party)
    return render_address(values, get_language() or "en")
