# A Flask application served through its test client.
from flask import Flask, jsonify, render_template_string

app = Flask(__name__)


@app.route("/")
def index():
    return render_template_string("<p>{{ who|upper }}</p>", who="pyox")


@app.route("/api/<int:n>")
def api(n):
    return jsonify(n=n, square=n * n)


def main():
    c = app.test_client()
    r = c.get("/")
    print(r.status_code, r.data.decode())
    r = c.get("/api/7")
    print(r.status_code, r.get_json())
    print(c.get("/missing").status_code)
    import importlib.metadata as md
    print(md.version("flask"), md.version("werkzeug"))
