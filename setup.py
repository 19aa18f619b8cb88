"""Only the optional C accelerator lives here; all other metadata is in pyproject.toml.

`optional=True`: without a C compiler (or Python headers) the build of the extension is skipped with a
warning and hegui installs as pure Python (hegui.dex.parser falls back to its Python sweep).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("hegui.dex._speedups", sources=["src/hegui/dex/_speedups.c"], optional=True),
    ],
)
