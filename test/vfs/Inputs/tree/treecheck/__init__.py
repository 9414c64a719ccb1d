"""A package that treats its own directory as a directory."""
