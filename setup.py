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

extensions = [
    Extension(
        "fastattest._core",
        ["fastattest/_core.pyx"],
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
