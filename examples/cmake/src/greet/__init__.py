"""A tiny application for the pyox CMake example."""

GREETING = "Hello"
