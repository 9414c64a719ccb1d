from ._core import value
