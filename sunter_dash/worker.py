"""The Celery worker of the background callbacks (the upload page), used when
CACHE_REDIS_URL is set (the Procfile's ``worker``)::

    celery -A sunter_dash.worker:celery_app worker --concurrency 2

It builds the Dash app exactly as the web processes do: registering the callbacks is
what makes them Celery tasks (a task's name is a hash of the callback's source), and the
jobs run with the same settings. So the worker needs the web's environment (DATABASE_URL,
CACHE_REDIS_URL) and the same upload staging folder: the page stages files under the
system temp folder (TMPDIR) and the job reads them from there (docs/DEPLOYMENT.md).
"""
from . import create_app
from .config import ConfigError, load_config

_config = load_config()
if not _config.cache_redis_url:
    raise ConfigError("The Celery worker needs CACHE_REDIS_URL (its broker and result store); "
                      "without it, uploads run in processes the web server starts itself.")
celery_app = create_app(_config).server.extensions["sunter_celery"]
