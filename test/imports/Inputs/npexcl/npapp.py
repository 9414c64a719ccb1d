import sys
import numpy as np

print(np.linalg.inv(np.array([[2.0, 0.0], [0.0, 4.0]])).tolist())
print(round(float(np.linalg.det(np.array([[1.0, 2.0], [3.0, 4.0]]))), 6))
if sys.argv[1:] == ["load_library"]:
    # A name without an extension: numpy asks numpy.distutils for one.
    np.ctypeslib.load_library("libnothing", "/nonexistent")
