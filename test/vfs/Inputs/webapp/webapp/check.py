"""What Flask, jinja2, babel and pkg_resources make of a package directory,
printed with paths relative to the directory the package was imported
from: the same lines in python3.11 on disk and in a pyox program
(test/vfs/packages.test)."""
import datetime
import os
import sys

import webapp

ROOT = os.path.dirname(os.path.dirname(webapp.__file__))


def rel(p):
    return "ROOT" + p[len(ROOT):] if p.startswith(ROOT) else p


def main():
    client = webapp.app.test_client()
    r = client.get("/")
    print("flask /", r.status_code, r.get_data(as_text=True).strip())
    r = client.get("/static/style.css")
    print("flask static", r.status_code, r.get_data(as_text=True).strip())
    r.close()

    import jinja2
    here = os.path.join(os.path.dirname(webapp.__file__), "templates")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(here))
    print("jinja2 FileSystemLoader", env.get_template("mail.txt").render(who="Ada"))
    env = jinja2.Environment(loader=jinja2.PackageLoader("webapp"))
    print("jinja2 PackageLoader", env.get_template("mail.txt").render(who="Bob"),
          sorted(env.list_templates()))

    import babel
    import babel.dates
    print("babel", babel.Locale("fr").get_display_name(),
          babel.Locale("de").territories["FR"],
          babel.dates.format_date(datetime.date(2024, 3, 1), format="full",
                                  locale="fr"))

    import pkg_resources
    print("pkg_resources version", pkg_resources.get_distribution("Flask").version,
          pkg_resources.get_distribution("jinja2").project_name)
    print("pkg_resources entry points", sorted(
        f"{ep.name}={ep.module_name}" for ep in
        pkg_resources.iter_entry_points("console_scripts")
        if ep.dist.project_name in ("Flask", "Babel")))
    print("pkg_resources resources",
          pkg_resources.resource_exists("webapp", "templates/index.html"),
          pkg_resources.resource_isdir("webapp", "templates"),
          sorted(pkg_resources.resource_listdir("webapp", "templates")),
          pkg_resources.resource_string("webapp", "static/style.css"))
    fn = pkg_resources.resource_filename("webapp", "static/style.css")
    print("pkg_resources filename", rel(fn), os.path.exists(fn))
    import importlib.metadata
    names = [d.metadata["Name"] for d in importlib.metadata.distributions()]
    print("importlib.metadata", sorted(names), importlib.metadata.version("flask"),
          sorted(ep.name for ep in importlib.metadata.entry_points(group="console_scripts")))
    import importlib.resources
    f = importlib.resources.files("webapp") / "templates" / "index.html"
    with importlib.resources.as_file(f) as p:
        print("importlib.resources as_file", rel(str(p)), os.path.isfile(p))
