raise SystemExit("fallback_never was imported")
