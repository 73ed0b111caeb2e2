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
      - With O(instance_ids), O(tags) are the wanted tags and unlisted ones are removed unless this is V(false).
      - With O(name), O(tags) select the instances (every one listed must match) and are never rewritten; tags
        the selected instances carry beyond them are kept unless this is V(true).
      - Has no effect when O(tags) is not set.
    type: bool
  tags:
    description:
      - Tags as a dictionary of keys and values.
      - Values may be strings, numbers or booleans; each is stored as the API's string once, the same way
        when creating, matching and reporting (V(true) and V(false) are written in lower case, numbers as
        their decimal text, null as an empty string). A list or dictionary value, or a null key, is refused
        before any API call, naming the tag.
      - When O(tags) is not set, tags are not touched.
    type: dict
"""
