import numpy.distutils.misc_util

print(numpy.distutils.misc_util.get_shared_lib_extension())
