# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options paired with TAGS_SPEC in plugins/module_utils/_args.py."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  purge_tags:
    description:
      - Whether to remove tags that are not listed in O(tags).
      - Has no effect when O(tags) is not set.
    type: bool
    default: true
  tags:
    description:
      - Tags as a dictionary of keys and values.
      - When O(tags) is not set, tags are not touched.
    type: dict
"""
