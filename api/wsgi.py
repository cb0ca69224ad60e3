"""What gunicorn serves: ``gunicorn api.wsgi:app`` (see gunicorn.conf.py)."""

from api.main import build_app

app = build_app()
