def explode():
    value = {"key": 1}
    return value["missing"]  # the line a traceback must show
