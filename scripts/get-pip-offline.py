"""Offline stand-in for pip's get-pip.py, used by ansible-test.

ansible-test bootstraps pip into the empty virtual environments it creates
for sanity tests by downloading get-pip.py from a host that the project's
machines cannot reach (only package registries are reachable). It looks for a
cached copy at ~/.ansible/test/cache/get_pip_<version>.py first, and runs it
as ``python get_pip.py [pip options] pip==<version> --no-setuptools --no-wheel``.

This script does the same job without the download: it installs the pip wheel
bundled with Python (ensurepip), then lets that pip install the requested
packages from the configured package index.  scripts/ansible-test-offline puts
it in ansible-test's cache.
"""

from __future__ import annotations

import ensurepip
import subprocess
import sys

# get-pip.py options that mean nothing to `pip install`.
_GET_PIP_ONLY = frozenset({"--no-setuptools", "--no-wheel"})


def main() -> int:
    args = [arg for arg in sys.argv[1:] if arg not in _GET_PIP_ONLY]
    ensurepip.bootstrap(default_pip=True)
    return subprocess.call([sys.executable, "-m", "pip", "install", *args])


if __name__ == "__main__":
    sys.exit(main())
