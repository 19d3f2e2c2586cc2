"""Builds maskcore._core from csrc/.

The default build targets the baseline ISA of the platform: AVX2 and AVX-512
kernels are compiled through target pragmas in their own files and picked at run
time (csrc/dispatch), so a wheel built here runs on any x86-64.

Environment switches (documented in README.md):
  MASKCORE_SANITIZE=address,undefined   build with those sanitizers (-O1, frame pointers)
  MASKCORE_NATIVE=1                     opt-in -march=native for a local build
  MASKCORE_DEBUG=1                      -O0 -g
"""
import os
import sys
from glob import glob

from pybind11.setup_helpers import ParallelCompile, Pybind11Extension, build_ext
from setuptools import setup

sources = sorted(glob("csrc/**/*.cpp", recursive=True))
headers = sorted(glob("csrc/**/*.hpp", recursive=True) + glob("csrc/**/*.inl", recursive=True))


compile_args = ["-O3", "-fvisibility=hidden", "-ffp-contract=off", "-Wall", "-Wextra", "-MMD"]
link_args = []
macros = []

sanitize = os.environ.get("MASKCORE_SANITIZE", "").strip()
if sanitize:
    compile_args = ["-O1", "-g", "-fno-omit-frame-pointer", f"-fsanitize={sanitize}",
                    "-fno-sanitize-recover=undefined", "-fvisibility=hidden", "-Wall", "-MMD"]
    link_args += [f"-fsanitize={sanitize}"]
    macros.append(("MASKCORE_SANITIZE", f'"{sanitize}"'))
if os.environ.get("MASKCORE_DEBUG"):
    compile_args = [a for a in compile_args if not a.startswith("-O")] + ["-O0", "-g"]
if os.environ.get("MASKCORE_NATIVE"):
    compile_args.append("-march=native")

# Incremental rebuilds: the compiler writes each object's dependencies beside it (-MMD: obj.d,
# the headers it includes); an object is recompiled when it is older than its source or than
# one of those headers (than any header while it has no .d yet), and every object is when the
# flags changed since the last build (a sanitizer or debug build after a normal one, and back)
# or with --force.
import pybind11  # noqa: E402  (its headers are compiled into every object)

_flags = repr((compile_args, link_args, macros, pybind11.__version__, sys.version))
_stamp = os.path.join("build", "maskcore-flags.txt")
try:
    with open(_stamp) as f:
        _rebuild_all = f.read() != _flags
except OSError:
    _rebuild_all = True
_rebuild_all = _rebuild_all or "--force" in sys.argv or "-f" in sys.argv


def _dependencies(obj: str) -> list:
    """The files obj.d (make syntax, written by -MMD) says obj was built from, or every header."""
    try:
        with open(os.path.splitext(obj)[0] + ".d") as f:
            text = f.read().replace("\\\n", " ")
    except OSError:
        return headers
    return text.partition(":")[2].split()


def needs_recompile(obj: str, src: str) -> bool:
    if _rebuild_all or not os.path.exists(obj):
        return True
    t = os.path.getmtime(obj)
    return any(not os.path.exists(f) or os.path.getmtime(f) > t for f in [src, *_dependencies(obj)])


ParallelCompile("MASKCORE_BUILD_JOBS", default=0, needs_recompile=needs_recompile).install()

ext = Pybind11Extension(
    "maskcore._core",
    sources,
    include_dirs=["csrc"],
    cxx_std=17,
    extra_compile_args=compile_args,
    extra_link_args=link_args,
    define_macros=macros,
    depends=headers,
)

class BuildExt(build_ext):
    def finalize_options(self) -> None:
        super().finalize_options()
        if _rebuild_all:  # new flags: setuptools would otherwise skip an extension newer than its sources
            self.force = True

    def run(self) -> None:
        super().run()
        os.makedirs("build", exist_ok=True)  # the flags of the objects now in build/
        with open(_stamp, "w") as f:
            f.write(_flags)


setup(ext_modules=[ext], cmdclass={"build_ext": BuildExt})
