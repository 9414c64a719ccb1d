//===- Opts.td - pyox-inject's options ------------------------------------===//
//
// Every option of every sub-command, in one table (llvm-tblgen
// -gen-opt-parser-defs). The command line parser, each command's --help and
// the keys [tool.pyox] of a pyproject.toml accepts (ProjectFile.cpp) all come
// from here. A command sees the options whose Visibility names it.
//
// Long options take `--name VALUE` and `--name=VALUE` (the Eq multiclass);
// one-letter ones `-x VALUE` and `-xVALUE` (`-x=VALUE`, the value "=VALUE"
// as clang and ld.lld read it, is refused: Options.cpp).
//
//===----------------------------------------------------------------------===//

include "llvm/Option/OptParser.td"

// Which commands take an option (OptionVisibility bits; Options.h).
def PackVis : OptionVisibility;
def BuildVis : OptionVisibility;
def ListVis : OptionVisibility;
def VerifyVis : OptionVisibility;
def ExtractVis : OptionVisibility;
def InjectVis : OptionVisibility;
def RemoveVis : OptionVisibility;
def ObjectVis : OptionVisibility;
def CacheVis : OptionVisibility;

// How [tool.pyox] treats an option (OptionFlag bits; Options.h).
// A path, made absolute against the pyproject.toml's directory.
def PathValue : OptionFlag;
// May be given more than once; a TOML array in [tool.pyox].
def Repeatable : OptionFlag;
// Not a [tool.pyox] key (--help, --config itself).
def NotInConfig : OptionFlag;

defvar PackAndBuild = [PackVis, BuildVis];

multiclass Eq<string name, list<OptionVisibility> vis, string metavar,
              string help, list<OptionFlag> flags = []> {
  def NAME : Separate<["--"], name>, Visibility<vis>, Flags<flags>,
             MetaVarName<metavar>, HelpText<help>;
  def NAME #_eq : Joined<["--"], name #"=">, Visibility<vis>,
                  Alias<!cast<Separate>(NAME)>, Flags<[HelpHidden]>;
}

def help : Flag<["--"], "help">, HelpText<"Show this help">,
           Visibility<[PackVis, BuildVis, ListVis, VerifyVis, ExtractVis,
                       InjectVis, RemoveVis, ObjectVis, CacheVis]>,
           Flags<[NotInConfig]>;
def : Flag<["-"], "h">, Alias<help>, HelpText<"Alias for --help">,
      Visibility<[PackVis, BuildVis, ListVis, VerifyVis, ExtractVis,
                  InjectVis, RemoveVis, ObjectVis, CacheVis]>;

//===----------------------------------------------------------------------===//
// Output and payload name
//===----------------------------------------------------------------------===//

defvar Outputs = [PackVis, BuildVis, ExtractVis, InjectVis, RemoveVis,
                  ObjectVis];
defm output : Eq<"output", Outputs, "FILE",
                 "Write the result to FILE (extract: the directory)",
                 [PathValue]>, HelpTextForVariants<[InjectVis, RemoveVis],
                 "Write the result to FILE (default: rewrite BINARY in place)">;
def o : JoinedOrSeparate<["-"], "o">, Alias<output>, Visibility<Outputs>,
        MetaVarName<"FILE">,
        HelpText<"Alias for --output">;
defm name : Eq<"name", [BuildVis, InjectVis, RemoveVis, ObjectVis], "NAME",
               "Name of the payload section (default: pyox)">;
defm template : Eq<"template", [BuildVis], "FILE",
                   "The executable to inject into (default: pyox-run beside "
                   "this tool)", [PathValue]>;
def mapped_code : Flag<["--"], "mapped-code">, Visibility<[BuildVis]>,
                  HelpText<"Lay the code of the modules imported at start "
                           "out as CPython objects for the template, used in "
                           "place (a faster start, a larger file)">;
def no_mapped_code : Flag<["--"], "no-mapped-code">, Visibility<[BuildVis]>,
                     HelpText<"Unmarshal the modules at run time (the "
                              "default)">;

//===----------------------------------------------------------------------===//
// What to pack
//===----------------------------------------------------------------------===//

def stdlib : Flag<["--"], "stdlib">, Visibility<PackAndBuild>,
             HelpText<"Pack the host Python 3.11 standard library (with an "
                      "entry point, what the program imports)">;
def stdlib_eq : Joined<["--"], "stdlib=">, Visibility<PackAndBuild>,
                MetaVarName<"all">,
                HelpText<"Pack the whole standard library">;
defm path : Eq<"path", PackAndBuild, "DIR",
               "A search root, like an entry of sys.path (repeatable)",
               [PathValue, Repeatable]>;
defm package : Eq<"package", PackAndBuild, "NAME",
                  "Pack this whole top-level package (repeatable)",
                  [Repeatable]>;
defm module : Eq<"module", PackAndBuild, "NAME",
                 "Also start the import analysis at this module "
                 "(repeatable; needs --entry)", [Repeatable]>;
defm dist : Eq<"dist", PackAndBuild, "NAME[extras]",
               "An installed distribution and its Requires-Dist closure "
               "(repeatable)", [Repeatable]>;
defm exclude : Eq<"exclude", PackAndBuild, "GLOB",
                  "Leave out files whose relative path matches (repeatable)",
                  [Repeatable]>;
defm entry : Eq<"entry", PackAndBuild, "MODULE[:FUNCTION]|SCRIPT",
                "What the program runs (default: [project.scripts])">;
defm script : Eq<"script", PackAndBuild, "NAME",
                 "Which of [project.scripts] to run, when it has several">;
def sources : Flag<["--"], "sources">, Visibility<PackAndBuild>,
              HelpText<"Pack the sources, compressed (the default)">;
def no_sources : Flag<["--"], "no-sources">, Visibility<PackAndBuild>,
                 HelpText<"Leave the sources out (no source lines in "
                          "tracebacks)">;
def compress : Flag<["--"], "compress">, Visibility<PackAndBuild>,
               HelpText<"Store extension modules, shared libraries and data "
                        "files zstd-compressed (the default)">;
def no_compress : Flag<["--"], "no-compress">, Visibility<PackAndBuild>,
                  HelpText<"Store them raw: a faster first import, a larger "
                           "file">;
defm compress_bytecode : Eq<"compress-bytecode", PackAndBuild,
                            "later|all|none",
                            "Which modules' bytecode is stored compressed: "
                            "those the program imports only later, if at "
                            "all (the default; none without an entry "
                            "point), every one, or none">;
def system_copies : Flag<["--"], "system-copies">, Visibility<PackAndBuild>,
                    HelpText<"Load an extension module or shared library "
                             "from the file it was packed from when the "
                             "target has it unchanged (the default)">;
def no_system_copies : Flag<["--"], "no-system-copies">,
                       Visibility<PackAndBuild>,
                       HelpText<"Load every one from memory">;
def isolated : Flag<["--"], "isolated">, Visibility<PackAndBuild>,
               HelpText<"The program ignores PYTHON* environment variables">;
defm optimize : Eq<"optimize", PackAndBuild, "0|1|2",
                   "Bytecode optimisation level, as python3 -O">;
def O : JoinedOrSeparate<["-"], "O">, Alias<optimize>, MetaVarName<"0|1|2">,
        Visibility<PackAndBuild>, HelpText<"Alias for --optimize">;
defm report : Eq<"report", PackAndBuild, "FILE",
                 "Write what was packed and why, as JSON", [PathValue]>;

//===----------------------------------------------------------------------===//
// Shared libraries
//===----------------------------------------------------------------------===//

defm exclude_lib : Eq<"exclude-lib", PackAndBuild, "GLOB",
                      "Do not carry shared libraries whose soname matches "
                      "(repeatable)", [Repeatable]>;
defm host_data : Eq<"host-data", PackAndBuild, "PATH",
                    "Carry this host file or directory (repeatable)",
                    [PathValue, Repeatable]>;
defm max_glibc : Eq<"max-glibc", PackAndBuild, "X.Y",
                    "Fail if the program needs a newer glibc">;

//===----------------------------------------------------------------------===//
// How to build
//===----------------------------------------------------------------------===//

defm jobs : Eq<"jobs", PackAndBuild, "N",
               "Compile in N worker processes (default: one per core)">;
def j : JoinedOrSeparate<["-"], "j">, Alias<jobs>, Visibility<PackAndBuild>,
        MetaVarName<"N">,
        HelpText<"Alias for --jobs">;
defm cache_dir : Eq<"cache-dir", [PackVis, BuildVis, CacheVis], "DIR",
                    "The compile cache (default: $PYOX_CACHE_DIR, "
                    "$XDG_CACHE_HOME/pyox, ~/.cache/pyox)", [PathValue]>;
def no_cache : Flag<["--"], "no-cache">, Visibility<PackAndBuild>,
               HelpText<"Use no compile cache">;
defm config : Eq<"config", PackAndBuild, "FILE",
                 "Read [tool.pyox] from FILE (default: ./pyproject.toml)",
                 [NotInConfig]>;
def no_config : Flag<["--"], "no-config">, Visibility<PackAndBuild>,
                HelpText<"Read no pyproject.toml">, Flags<[NotInConfig]>;
def verbose : Flag<["--"], "verbose">, Visibility<PackAndBuild>,
              HelpText<"Remarks: the compile cache's hits and misses">;
def v : Flag<["-"], "v">, Alias<verbose>, Visibility<PackAndBuild>,
        HelpText<"Alias for --verbose">;
def quiet : Flag<["--"], "quiet">, Visibility<PackAndBuild>,
            HelpText<"Print errors and warnings only: no notes, summary or "
                     "progress">;
def q : Flag<["-"], "q">, Alias<quiet>, Visibility<PackAndBuild>,
        HelpText<"Alias for --quiet">;
def time_passes : Flag<["--"], "time-passes">, Visibility<PackAndBuild>,
                  HelpText<"Report the time of each pass">;

//===----------------------------------------------------------------------===//
// object
//===----------------------------------------------------------------------===//

defm format : Eq<"format", [ObjectVis], "elf|macho|coff",
                 "Object file format (default: elf)">;
defm arch : Eq<"arch", [ObjectVis], "x86-64|aarch64|arm64",
               "Target architecture (default: the host's)">;
defm reserve : Eq<"reserve", [ObjectVis], "BYTES",
                  "Reserve room for a larger payload later">;

//===----------------------------------------------------------------------===//
// cache
//===----------------------------------------------------------------------===//

def stats : Flag<["--"], "stats">, Visibility<[CacheVis]>,
            HelpText<"Show the cache's size and entries">;
defm trim : Eq<"trim", [CacheVis], "SIZE",
               "Remove the oldest entries down to SIZE (e.g. 500M)">;
def clear : Flag<["--"], "clear">, Visibility<[CacheVis]>,
            HelpText<"Remove every entry">;
