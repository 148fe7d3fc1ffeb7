"""The agents' desk on the admin's home page (``admin/tickets/index.html``)."""

from django import template

from tickets.desk import desk_sections

register = template.Library()


@register.simple_tag(takes_context=True)
def agent_desk(context) -> list:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    return desk_sections(user=user)
