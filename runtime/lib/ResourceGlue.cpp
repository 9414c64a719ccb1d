//===- ResourceGlue.cpp - importlib.resources and .metadata adapters ------===//
//
// importlib.resources wants a Traversable (an ABC) and importlib.metadata a
// Distribution subclass; both are Python classes with a dozen small
// methods. Subclassing them from C buys nothing, so they are written in
// Python here, compiled from this string the first time a program asks for
// resources or metadata (never at start-up), and every byte they return
// comes from the C++ finder (_read, _listdir, _isdir, _isfile,
// _distributions in Importer.cpp).
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

namespace pyox {
namespace {

const char ResourceSource[] = R"PY(
import io
import posixpath
from importlib.resources.abc import Traversable, TraversableResources


def _join(rel, parts):
    path = posixpath.normpath(posixpath.join(rel or '.', *parts))
    return '' if path == '.' else path


class PayloadPath(Traversable):
    """A file or directory under the payload root (read-only)."""

    def __init__(self, finder, rel):
        self._finder = finder
        self._rel = rel

    def __repr__(self):
        return f'PayloadPath({str(self)!r})'

    def __str__(self):
        return self._finder.root + ('/' + self._rel if self._rel else '')

    def __eq__(self, other):
        return (isinstance(other, PayloadPath) and self._rel == other._rel
                and self._finder is other._finder)

    def __hash__(self):
        return hash(self._rel)

    @property
    def name(self):
        return posixpath.basename(self._rel)

    def iterdir(self):
        if not self.is_dir():
            raise NotADirectoryError(str(self))
        return iter([PayloadPath(self._finder, _join(self._rel, [n]))
                     for n in self._finder._listdir(self._rel)])

    def is_dir(self):
        return self._finder._isdir(self._rel)

    def is_file(self):
        return self._finder._isfile(self._rel)

    def exists(self):
        return self.is_file() or self.is_dir()

    def joinpath(self, *descendants):
        return PayloadPath(self._finder, _join(self._rel, descendants))

    def __truediv__(self, child):
        return self.joinpath(child)

    def read_bytes(self):
        return self._finder._read(self._rel)

    def read_text(self, encoding=None, errors=None):
        return self.read_bytes().decode(encoding or 'utf-8', errors or 'strict')

    def open(self, mode='r', *args, **kwargs):
        if mode not in ('r', 'rb', 'rt'):
            raise ValueError(f'{str(self)} is read-only: mode {mode!r}')
        stream = io.BytesIO(self.read_bytes())
        return stream if 'b' in mode else io.TextIOWrapper(stream, *args, **kwargs)


class PayloadResources(TraversableResources):
    """The resource reader of a package in the payload."""

    def __init__(self, finder, rel):
        self._finder = finder
        self._rel = rel

    def files(self):
        return PayloadPath(self._finder, self._rel)


class TreeResources(TraversableResources):
    """With the virtual filesystem: the package directory, a real path."""

    def __init__(self, path):
        self._path = path

    def files(self):
        import pathlib
        return pathlib.Path(self._path)


def register_pkg_resources(pkg_resources, finder, path_entry_type):
    pkg_resources.register_loader_type(type(finder),
                                       pkg_resources.DefaultProvider)
    pkg_resources.register_finder(path_entry_type, pkg_resources.find_on_path)
    pkg_resources.register_namespace_handler(path_entry_type,
                                             pkg_resources.file_ns_handler)
    # The working set was made while pkg_resources ran, before this: add
    # the distributions of the tree's sys.path entries now.
    ws = pkg_resources.working_set
    root = finder.root
    for entry in list(ws.entries):
        if entry == root or entry.startswith(root + '/'):
            for dist in pkg_resources.find_distributions(entry, True):
                ws.add(dist, entry, False)
)PY";

const char MetadataSource[] = R"PY(
import posixpath
import importlib.metadata as _md


class PayloadDistribution(_md.Distribution):
    """A *.dist-info or *.egg-info directory in the payload."""

    def __init__(self, finder, info_dir):
        self._finder = finder
        self._info_dir = info_dir

    def __repr__(self):
        return f'<PayloadDistribution {self._info_dir!r}>'

    def read_text(self, filename):
        try:
            data = self._finder._read(posixpath.join(self._info_dir, filename))
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
        return data.decode('utf-8')

    read_text.__doc__ = _md.Distribution.read_text.__doc__

    def locate_file(self, path):
        return _PayloadPath(self._finder, _join('', [str(path)]))

    @property
    def _normalized_name(self):
        stem = posixpath.splitext(self._info_dir)[0]
        name = stem.partition('-')[0]
        return _md.Prepared.normalize(name) if name else super()._normalized_name


def find_distributions(finder, context=_md.DistributionFinder.Context()):
    wanted = _md.Prepared(context.name)
    for info_dir in finder._distributions():
        low = info_dir.lower()
        if not low.endswith(('.dist-info', '.egg-info')):
            continue
        name = low.rpartition('.')[0].partition('-')[0]
        if (not wanted or _md.Prepared.normalize(name) == wanted.normalized
                or _md.Prepared.legacy_normalize(name) == wanted.legacy_normalized):
            yield PayloadDistribution(finder, info_dir)
)PY";

PyObject *ResourceDict;
PyObject *MetadataDict;

// Runs SOURCE in a fresh namespace named NAME, seeded with SEED's items.
PyObject *compileGlue(PyObject *&Cache, const char *Source, const char *Name,
                      PyObject *Seed) {
  if (Cache) {
    Py_INCREF(Cache);
    return Cache;
  }
  PyObject *Dict = PyDict_New();
  if (!Dict)
    return nullptr;
  if ((Seed && PyDict_Update(Dict, Seed) < 0) ||
      PyDict_SetItemString(Dict, "__builtins__", PyEval_GetBuiltins()) < 0) {
    Py_DECREF(Dict);
    return nullptr;
  }
  PyObject *NameObj = PyUnicode_FromString(Name);
  if (!NameObj || PyDict_SetItemString(Dict, "__name__", NameObj) < 0) {
    Py_XDECREF(NameObj);
    Py_DECREF(Dict);
    return nullptr;
  }
  Py_DECREF(NameObj);
  PyObject *Code = Py_CompileString(Source, "<pyox glue>", Py_file_input);
  PyObject *R = Code ? PyEval_EvalCode(Code, Dict, Dict) : nullptr;
  Py_XDECREF(Code);
  if (!R) {
    Py_DECREF(Dict);
    return nullptr;
  }
  Py_DECREF(R);
  Cache = Dict;
  Py_INCREF(Cache);
  return Dict;
}

} // namespace

PyObject *resourceGlue() {
  return compileGlue(ResourceDict, ResourceSource, "_pyox.resources", nullptr);
}

PyObject *metadataGlue() {
  if (MetadataDict) {
    Py_INCREF(MetadataDict);
    return MetadataDict;
  }
  PyObject *Resources = resourceGlue();
  if (!Resources)
    return nullptr;
  PyObject *Seed = Py_BuildValue(
      "{sOsO}", "_PayloadPath", PyDict_GetItemString(Resources, "PayloadPath"),
      "_join", PyDict_GetItemString(Resources, "_join"));
  Py_DECREF(Resources);
  if (!Seed)
    return nullptr;
  PyObject *R =
      compileGlue(MetadataDict, MetadataSource, "_pyox.metadata", Seed);
  Py_DECREF(Seed);
  return R;
}

} // namespace pyox
