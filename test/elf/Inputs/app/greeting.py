def greet():
    return "hello from the payload"
