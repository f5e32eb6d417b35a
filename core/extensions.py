"""Unbound extension objects, bound to the app in the factory (no circular imports)."""

from core.api import ProblemApi
from core.db import db
from core.security import SingleDecodeJWTManager

api = ProblemApi()
jwt = SingleDecodeJWTManager()

__all__ = ["api", "db", "jwt"]
