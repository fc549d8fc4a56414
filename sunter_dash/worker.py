"""The Celery worker of the background callbacks (the upload page) and of the e-mail
subscriptions, used when CACHE_REDIS_URL is set (the Procfile's ``worker`` and ``beat``)::

    celery -A sunter_dash.worker:celery_app worker --concurrency 2
    celery -A sunter_dash.worker:celery_app beat

Beat asks every ``SUNTER_SCHEDULE_SECONDS`` (300) for ``send_due``: whatever is due is sent once
(services/subscriptions.py), so the interval only sets how soon after its WIB day a send goes.

It builds the Dash app exactly as the web processes do: registering the callbacks is
what makes them Celery tasks (a task's name is a hash of the callback's source), and the
jobs run with the same settings. So the worker needs the web's environment (DATABASE_URL,
CACHE_REDIS_URL) and the same upload staging folder: the page stages files under the
system temp folder (TMPDIR) and the job reads them from there (docs/DEPLOYMENT.md).
"""
from . import create_app
from .config import ConfigError, load_config
from .db import get_engine
from .services import subscriptions

_config = load_config()
if not _config.cache_redis_url:
    raise ConfigError("The Celery worker needs CACHE_REDIS_URL (its broker and result store); "
                      "without it, uploads run in processes the web server starts itself.")
celery_app = create_app(_config).server.extensions["sunter_celery"]


@celery_app.task(name="sunter_dash.send_due")
def send_due() -> list[str]:
    """What is due of the subscriptions, sent (the same as ``python -m sunter_dash report send-due``)."""
    return subscriptions.send_due(get_engine(_config.database_url), _config)


celery_app.conf.beat_schedule = {
    "send-due": {"task": "sunter_dash.send_due", "schedule": float(_config.schedule_seconds)},
}
