"""Fallbacks in `except ImportError`: the analysis leaves out those of a
try that imports only built-in modules and names they have."""
try:
    from _sha512 import sha512  # built in: cannot fail
except ImportError:
    import fallback_never  # so this is never imported, nor packed

try:
    from _sha512 import no_such_name  # fails: the name is not there
except ImportError:
    import fallback_used

USED = fallback_used.NAME + " " + sha512(b"").hexdigest()[:8]
