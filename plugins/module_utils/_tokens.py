# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to alicloud.ecs: not a public API, may change without notice.
"""ClientTokens of creates and releases, and the release markers that keep them apart across cycles.

Why (docs/ecs_instance.md "ClientTokens"): a create must carry a token that a
rerun after a crash, a retry after a lost answer and a concurrent identical
run all compute alike, so the API replays one create instead of making a
second batch -- and ECS is eventually consistent, so none of them can rely on
seeing the first one's instances.  But the API remembers a token after its
instances are released, and replaying it then gives back dead ids that look
exactly like new ones that are not listed yet.  So the token also carries a
*generation*: how many times instances of that name were released by this
collection.  Each release is sent with the next *release marker* token
(``release_token(region, name, n)``); the API remembers it like any token,
which makes it a counter that every run can read back (``token_is_used`` with
a DryRun that cannot succeed, so reading it has no side effect).  A release
moves the generation on, so the next create of that name gets fresh tokens;
runs that see no release in between compute the same tokens.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.alicloud.ecs.plugins.module_utils._client import ApiClient
from ansible_collections.alicloud.ecs.plugins.module_utils._ecs import make_token, token_is_used

# An id that cannot belong to an instance ("i-" and 20 characters, but no region prefix):
# a DryRun DeleteInstances of it fails validation, so reading a marker never releases anything.
MARKER_INSTANCE_ID = "i-ansiblereleasemarker"
MAX_GENERATION = 1 << 20


def create_token(
    region: str,
    name: str,
    tags: dict[str, str],
    action: str,
    first_slot: int,
    amount: int,
    generation: int,
    shape: dict[str, Any],
    seed: str | None = None,
    link: str | None = None,
) -> str:
    """The ClientToken of one create call.

    It covers the identity (region, name, identity tags), the call (action, the
    slots it fills: ``first_slot`` = how many instances of the identity exist
    before it, ``amount``), the release ``generation`` and the ``shape`` of the
    instances (image, type, network, billing, disks: what the instance *is*).
    Secrets and attributes that are changed in place (password, description,
    host name, user data, security groups, deletion protection ...) are not in
    it: a rerun that differs only in them replays the same call, and the API
    answers IdempotentParameterMismatch instead of creating a second batch.
    ``link`` continues a chain when a token's instances left the identity.
    """
    parts = [region, name, sorted(tags.items()), action, first_slot, amount, generation, shape, seed or ""]
    if link:
        parts.append(link)
    return make_token("ans", *parts)


def link_token(token: str, foreign: list[str]) -> str:
    """The next token of a chain whose last token replayed ``foreign`` instances (no longer in the identity)."""
    return make_token("lnk", token, sorted(foreign))


def release_token(region: str, name: str, index: int) -> str:
    """Release marker ``index`` of instances named ``name``: the ClientToken of one DeleteInstances."""
    return make_token("ansrel", region, name, index)


class ReleaseMarkers:
    """Reads and advances the release generation of each instance name, caching what it learnt."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client
        self._known: dict[str, int] = {}
        self.readable = True  # False once a read was refused (e.g. no ecs:DeleteInstances permission)
        self.reads = 0

    def _used(self, name: str, index: int) -> bool:
        self.reads += 1
        params = {"InstanceId": [MARKER_INSTANCE_ID], "Force": False}
        answer = token_is_used(self.client, "DeleteInstances", release_token(self.client.region, name, index), params)
        if answer is None:
            self.readable = False
        return bool(answer)

    def generation(self, name: str) -> int:
        """How many release markers of ``name`` are used: the first unused index.

        Markers are used in order, so the used ones are a prefix; an exponential
        then binary search finds its end in 2*log2(n) reads.  A read that cannot be
        answered counts as unused: a generation read too low only replays dead ids
        (the task then fails after the visibility wait), never creates twice.
        """
        if name in self._known:
            return self._known[name]
        low, high = -1, 0  # low: known used (-1: none), high: candidate
        while high < MAX_GENERATION and self._used(name, high):
            low, high = high, high * 2 + 1
        while high - low > 1:
            middle = (low + high) // 2
            if self._used(name, middle):
                low = middle
            else:
                high = middle
        self._known[name] = high
        return high

    def next_release_token(self, name: str) -> str:
        return release_token(self.client.region, name, self.generation(name))

    def forget(self, name: str) -> None:
        """What this run knew of ``name``'s markers is out of date: the next question reads them again."""
        self._known.pop(name, None)

    def advance(self, name: str) -> None:
        """The current marker of ``name`` was just used (by this run's release, or by another one's)."""
        self._known[name] = self.generation(name) + 1
