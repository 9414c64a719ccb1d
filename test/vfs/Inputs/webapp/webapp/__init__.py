"""A Flask application with its templates and static files next to it."""
from flask import Flask, render_template

app = Flask(__name__)


@app.route("/")
def index():
    return render_template("index.html", name="pyox")
