"""A small application the runtime tests build into single-file programs."""
VERSION = "1.0"
