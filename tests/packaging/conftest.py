"""Fixtures for the packaging tests: the built collection tarball, and the
tarball installed into an otherwise empty collections path."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from tests.packaging.support import REPO_ROOT, ansible_env, run, tool


@pytest.fixture(scope="session")
def built_tarball(tmp_path_factory) -> Path:
    """`ansible-galaxy collection build` of the work tree."""
    out = tmp_path_factory.mktemp("dist")
    run([tool("ansible-galaxy"), "collection", "build", "--output-path", str(out), str(REPO_ROOT)])
    tarballs = list(out.glob("*.tar.gz"))
    assert len(tarballs) == 1, tarballs
    return tarballs[0]


@pytest.fixture(scope="session")
def tarball_members(built_tarball) -> list[str]:
    with tarfile.open(built_tarball) as tar:
        return [member.name.rstrip("/") for member in tar.getmembers()]


@pytest.fixture(scope="session")
def installed(built_tarball, tmp_path_factory) -> Path:
    """An empty collections path with only the built tarball installed into it (no Galaxy access)."""
    collections = tmp_path_factory.mktemp("collections")
    home = tmp_path_factory.mktemp("ansible-home")
    run(
        [tool("ansible-galaxy"), "collection", "install", "--offline", "-p", str(collections), str(built_tarball)],
        env=ansible_env(collections, home),
        cwd=str(home),
    )
    return collections
