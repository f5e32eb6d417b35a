"""Unbound extension objects, bound to the app in the factory (no circular imports)."""

from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate

from core.api import ProblemApi
from core.db import db

api = ProblemApi()
jwt = JWTManager()
migrate = Migrate()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

__all__ = ["api", "db", "jwt", "limiter", "migrate"]
