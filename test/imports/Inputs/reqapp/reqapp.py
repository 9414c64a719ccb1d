# Uses requests offline: what it imports at start and when preparing a
# request, with its dependencies found by the import analysis alone.
import requests


def main():
    r = requests.Request("GET", "https://example.org/a b",
                         params={"q": "x y"}, headers={"X-Test": "1"}).prepare()
    print(r.method, r.url, sorted(r.headers.items()))
    s = requests.Session()
    print(type(s.get_adapter("https://example.org")).__name__)
    print(requests.utils.requote_uri("https://example.org/%7euser/a b"))
    import urllib3, idna, certifi, os
    print(urllib3.util.parse_url("http://h:8080/p?q").port)
    print(idna.encode("bücher.example").decode())
    print(os.path.getsize(certifi.where()) > 1000)
    import importlib.metadata as md
    print(md.version("requests"), md.version("urllib3"))
    print(requests.get.__module__)
