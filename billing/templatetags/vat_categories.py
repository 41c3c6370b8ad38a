"""``{% load vat_categories %}`` then ``{{ row.category|vat_category }}``: a UNCL 5305 code in words."""

from django import template

from billing.models import VatCategory

register = template.Library()


@register.filter
def vat_category(code):
    """``AE`` -> ``Reverse charge``; an unknown code is shown as it is."""
    return VatCategory(code).label if code in VatCategory.values else code
