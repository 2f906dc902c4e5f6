"""The yardstick: a bare Flask endpoint, served by the same gunicorn settings."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def bare():
    return "ok"
