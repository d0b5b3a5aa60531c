"""Build the Cython core. Everything else is declared in pyproject.toml."""
import os

from Cython.Build import cythonize
from setuptools import Extension, setup

# FASTATTEST_SANITIZE=1 builds the core with AddressSanitizer + UBSan (see scripts/sanitize.sh).
sanitize = os.environ.get("FASTATTEST_SANITIZE") == "1"
extra_compile = ["-O2"]
extra_link: list[str] = []
if sanitize:
    flags = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-O1", "-g"]
    extra_compile, extra_link = flags, flags
if os.name == "nt":  # MSVC takes neither -O2 spelled this way nor the sanitizers
    extra_compile, extra_link = ["/O2"], []
# FASTATTEST_PORTABLE_INT=1 builds the EC limb arithmetic (fastattest/_ec.pxi) without the
# compiler's 128-bit integers, as on MSVC, so CI can test that path (scripts/portable.sh).
macros = [("FASTATTEST_PORTABLE_INT", "1")] if os.environ.get("FASTATTEST_PORTABLE_INT") == "1" else []

extensions = [
    Extension(
        "fastattest._core",
        ["fastattest/_core.pyx"],
        define_macros=macros,
        extra_compile_args=extra_compile,
        extra_link_args=extra_link,
    )
]

setup(
    ext_modules=cythonize(
        extensions,
        language_level=3,
        compiler_directives={
            "boundscheck": True,
            "wraparound": False,
            "cdivision": True,
            "embedsignature": True,
        },
    )
)
