"""Accounts for the stack tests, made in the stack's own database by its own manage.py
(`manage.py shell -c "from tests.stack.seed import run; run()"`, the stack's environment)."""

from django.utils import timezone

from accounts.models import User

PASSWORD = "Stack-Portal-2026!"
COUNT = 30


def username(number: int) -> str:
    return f"stack.u{number:02d}"


def run() -> None:
    now = timezone.now()
    for number in range(1, COUNT + 1):
        user = User.objects.filter(username=username(number)).first() or User(
            username=username(number)
        )
        user.set_password(PASSWORD)
        user.password_changed_at = now
        user.email = f"u{number:02d}@stack.example.cn"
        user.phone = f"+8613900{number:06d}"
        user.email_verified_at = now
        user.phone_verified_at = now
        user.language = "en"
        user.save()
    print(f"seeded {COUNT}")
