"""The "is your problem this maintenance?" question, for forms of other apps (the unlock request).

Usage in a form (only while a notice is active)::

    from notices.forms import MAINTENANCE_FIELD, maintenance_question_field
    from notices.selectors import notices_for_question

    active = notices_for_question()
    if active:
        self.fields[MAINTENANCE_FIELD] = maintenance_question_field()

and in the template::

    {% include "notices/maintenance_question.html" with notices=active
       field=form.maintenance_answer %}   (on one line)

When the answer is ``MaintenanceAnswer.MAINTENANCE`` nothing should be filed: render
``notices/maintenance_wait.html`` (it needs ``notices``).
"""

from __future__ import annotations

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

MAINTENANCE_FIELD = "maintenance_answer"


class MaintenanceAnswer(models.TextChoices):
    MAINTENANCE = "maintenance", _("Yes, my problem is probably this maintenance")
    OTHER = "other", _("No, my problem is something else")


def maintenance_question_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Is your problem this maintenance?"),
        choices=MaintenanceAnswer.choices,
        widget=forms.RadioSelect,
        required=True,
        error_messages={"required": _("Tell us whether your problem is this maintenance.")},
    )
