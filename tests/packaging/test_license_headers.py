"""Every Python file the tarball ships opens with the collection's license header.

Galaxy and Automation Hub show each file on its own, outside the repository
that holds COPYING: the two header lines that plugins/modules/*.py carry are
what tells a reader the file's license.
"""

from __future__ import annotations

import tarfile

HEADER = [
    "# Copyright: alicloud.ecs contributors",
    "# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)",
]


def _opening_lines(text: str) -> list[str]:
    lines = text.splitlines()
    if lines and lines[0].startswith("#!"):
        lines = lines[1:]
    return lines[: len(HEADER)]


def test_opening_lines_helper():
    assert _opening_lines("#!/usr/bin/python\n%s\n%s\nimport os\n" % tuple(HEADER)) == HEADER
    assert _opening_lines('"""Docstring first."""\n%s\n%s\n' % tuple(HEADER)) != HEADER


def test_every_shipped_python_file_has_the_license_header(built_tarball):
    with tarfile.open(built_tarball) as tar:
        python_files = [member for member in tar.getmembers() if member.isfile() and member.name.endswith(".py")]
        assert any(member.name.startswith("plugins/module_utils/") for member in python_files), python_files
        missing = [
            member.name
            for member in python_files
            if _opening_lines(tar.extractfile(member).read().decode("utf-8")) != HEADER
        ]
    assert not missing, "add the two license header lines (see plugins/modules/*.py) at the top of: %s" % missing
