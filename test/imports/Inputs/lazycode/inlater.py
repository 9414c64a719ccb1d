VALUE = 41


def fail():
    return VALUE // 0  # the line a traceback shows
