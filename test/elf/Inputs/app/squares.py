import os
DATA = [i * i for i in range(100)]
