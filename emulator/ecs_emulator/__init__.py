"""A local emulator of the Alibaba Cloud ECS OpenAPI (and the VPC calls it needs)."""

__version__ = "0.1.0"
