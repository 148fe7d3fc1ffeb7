from django import template

from audit import labels

register = template.Library()


@register.filter
def event_label(event: str) -> str:
    return labels.event_label(event)


@register.filter
def details(data) -> str:
    return labels.details_text(data)
