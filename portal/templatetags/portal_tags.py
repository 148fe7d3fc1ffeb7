"""Template helpers of every app's pages."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def unbroken(value: object, css_class: str = "") -> SafeString:
    """``value`` kept on one line (a reference such as UNL-2026-000001, which a browser would
    otherwise break after a hyphen in a heading on a phone), escaped, in a span of its own that
    a translated sentence can hold."""
    return format_html('<span class="unbroken {}">{}</span>', css_class, value)
