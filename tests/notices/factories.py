from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from notices.models import FaqEntry, Notice, Severity
from notices.services import notice_save


class NoticeFactory(factory.django.DjangoModelFactory):
    """Notices made through notices.services, so the shared cache is refreshed as in production."""

    class Meta:
        model = Notice

    title_zh = factory.Sequence(lambda n: f"系统维护 {n}")
    title_en = factory.Sequence(lambda n: f"System maintenance {n}")
    message_zh = "CRM 升级。"
    message_en = "CRM upgrade."
    severity = Severity.WARNING
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=5))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=1))
    blocks_signin = False
    published = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return notice_save(notice=model_class(*args, **kwargs), actor=None)


class FaqEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FaqEntry

    slug = factory.Sequence(lambda n: f"question-{n}")
    question_zh = factory.Sequence(lambda n: f"问题 {n}？")
    question_en = factory.Sequence(lambda n: f"Question {n}?")
    answer_zh = "回答。"
    answer_en = "Answer."
    position = 500
