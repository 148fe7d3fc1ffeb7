from django import template

from audit import labels, sentences

register = template.Library()


@register.filter
def event_label(event: str) -> str:
    return labels.event_label(event)


@register.filter
def details(data) -> str:
    return labels.details_text(data)


@register.filter
def sentence(row) -> str:
    """An audit row in words: ``audit.sentences.event_sentence``."""
    return sentences.event_sentence(row)
