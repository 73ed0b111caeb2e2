# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options paired with WAIT_SPEC in plugins/module_utils/_args.py."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  wait:
    description:
      - Whether to wait until the instances reach the requested state before returning.
      - Transitional states (C(Pending), C(Starting), C(Stopping)) are always waited out before acting on an
        instance, whatever the value of O(wait).
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait at most. On timeout the task fails and names every instance that is
        not there yet, with its last status.
    type: int
    default: 600
"""
