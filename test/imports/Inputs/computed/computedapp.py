"""Packages that import modules by names they compute at run time: the
import analysis cannot see these imports in the bytecode; its table of
hidden imports (lib/Pack/ImportGraph.cpp) takes them."""
import sys
which = sys.argv[1]
if which == "pkg":
    import pkg_resources
    print(pkg_resources.parse_version("1.2") < pkg_resources.parse_version("1.10"))
    print(pkg_resources.get_distribution("PyYAML").version)
elif which == "babel":
    from babel.dates import format_date
    from babel.numbers import format_decimal
    import datetime
    print(format_date(datetime.date(2020,1,2), locale="de_DE"), format_decimal(1234.5, locale="fr_FR"))
elif which == "pygments":
    from pygments import highlight
    from pygments.lexers import get_lexer_by_name, guess_lexer
    from pygments.formatters import get_formatter_by_name
    print(highlight("x = 1", get_lexer_by_name("python"), get_formatter_by_name("html")).strip()[:60])
    print(guess_lexer("#!/bin/sh\necho hi").name)
elif which == "yaml":
    import yaml
    print(yaml.safe_dump(yaml.safe_load("a: [1, 2]")), hasattr(yaml, "CSafeLoader"))
elif which == "pytz":
    import pytz, datetime
    print(pytz.timezone("Europe/Berlin").localize(datetime.datetime(2020,6,1)).isoformat())
