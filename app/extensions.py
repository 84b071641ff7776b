"""Unbound extensions, bound to an app in create_app()."""
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy

from app.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
socketio = SocketIO()
# Storage from RATELIMIT_STORAGE_URI: Redis when REDIS_URL is set, so workers share counts.
limiter = Limiter(key_func=get_remote_address)
