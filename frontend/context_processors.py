from typing import Any

from django.http import HttpRequest

from frontend.navigation import get_navigation
from identity.models import User
from identity.roles import Role


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return {"nav_items": [], "role_labels": []}
    return {
        "nav_items": get_navigation(user),
        "role_labels": [Role(r).label for r in sorted(user.roles)],
    }
