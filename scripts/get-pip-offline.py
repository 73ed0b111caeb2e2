"""Stand-in for pip's get-pip.py, used by ansible-test (see scripts/ansible-test-offline).

ansible-test bootstraps pip into the empty virtual environments it creates
for sanity tests by downloading get-pip.py from a host that the project's
machines cannot reach (only package registries are reachable). It looks for a
cached copy at ~/.ansible/test/cache/get_pip_<version>.py first, and runs it
as ``python get_pip.py [pip options] pip==<version> --no-setuptools --no-wheel``.

This script does the same job without that download. The pip of the
environment that runs ansible-test installs the requested packages into this
interpreter's environment with ``pip --python``: it is recent enough to use
the system trust store, which the pip bundled with an older Python (ensurepip)
is not. ansible-test passes almost no environment variables on, so that
environment's Python is named in the file ``bootstrap-python`` next to this
script (scripts/ansible-test-offline writes both). Without it, the pip
bundled with Python is used.
"""

from __future__ import annotations

import ensurepip
import os
import subprocess
import sys

# get-pip.py options that mean nothing to `pip install`.
_GET_PIP_ONLY = frozenset({"--no-setuptools", "--no-wheel"})


def _bootstrap_python() -> str | None:
    try:
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "bootstrap-python"), encoding="utf-8") as handle:
            path = handle.read().strip()
    except OSError:
        return None
    return path if os.access(path, os.X_OK) else None


def main() -> int:
    args = [arg for arg in sys.argv[1:] if arg not in _GET_PIP_ONLY]
    bootstrap = _bootstrap_python()
    if bootstrap:
        return subprocess.call([bootstrap, "-m", "pip", "--python", sys.executable, "install", *args])
    ensurepip.bootstrap(default_pip=True)
    return subprocess.call([sys.executable, "-m", "pip", "install", *args])


if __name__ == "__main__":
    sys.exit(main())
