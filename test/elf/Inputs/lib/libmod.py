NAME = "library payload"
