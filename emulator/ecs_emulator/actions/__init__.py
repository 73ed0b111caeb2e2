"""Action handlers; importing a module registers its actions."""


def load_all() -> None:
    from . import ecs, sts, vpc  # noqa: F401
