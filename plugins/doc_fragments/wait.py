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
  visibility_timeout:
    description:
      - ECS is eventually consistent, so an instance that the API just created (or that a task names) may be
        missing from C(DescribeInstances) for a while; that never means it does not exist. This is how many
        seconds an instance may stay unlisted before the task fails, naming it and the two likely causes
        (propagation delay, or a credential that may not read it, C(ecs:DescribeInstances)). Nothing more is
        created meanwhile.
      - Also bounds how long an instance may disappear during a wait before the wait fails, naming it.
      - Applies whatever O(wait) says (a create always confirms that its instances are listed) and never
        exceeds O(wait_timeout).
    type: int
    default: 120
  wait_timeout:
    description:
      - How many seconds to wait at most. On timeout the task fails and names every instance that is
        not there yet, with its last status.
    type: int
    default: 600
"""
