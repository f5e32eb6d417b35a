"""Unbound extension objects, bound to the app in the factory (no circular imports)."""

from flask_jwt_extended import JWTManager

from core.api import ProblemApi
from core.db import db

api = ProblemApi()
jwt = JWTManager()

__all__ = ["api", "db", "jwt"]
