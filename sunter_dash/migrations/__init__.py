"""The schema's migrations (alembic: env.py, versions/) and what they ask to be computed again."""
