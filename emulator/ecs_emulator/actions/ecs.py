"""ECS (2014-05-26) actions.  The handlers live in topic modules; importing them registers them.

create.py     RunInstances, CreateInstance
describe.py   DescribeInstances, DescribeInstanceStatus, DescribeInstanceAttribute, DescribeUserData, DescribeDisks
lifecycle.py  Start/Stop/Reboot/DeleteInstance(s)
modify.py     ModifyInstanceAttribute, ModifyInstanceChargeType, AllocatePublicIpAddress
tags.py       TagResources, UntagResources, ListTagResources
secgroups.py  DescribeSecurityGroups, CreateSecurityGroup, AuthorizeSecurityGroup, Join/LeaveSecurityGroup
spec.py       ModifyInstanceSpec, ModifyPrepayInstanceSpec, ModifyInstanceNetworkSpec
disks.py      ResizeDisk, ReplaceSystemDisk
renew.py      RenewInstance, ModifyInstanceAutoRenewAttribute, DescribeInstanceAutoRenewAttribute
keypairs.py   CreateKeyPair, ImportKeyPair, DescribeKeyPairs, DeleteKeyPairs
catalog.py    DescribeRegions, DescribeZones, DescribeImages, DescribeInstanceTypes
vpc.py        DescribeVpcs/DescribeVSwitches (VPC 2016-04-28 and the legacy ECS-version shape)
"""

from __future__ import annotations

from . import catalog, create, describe, disks, keypairs, lifecycle, modify, renew, secgroups, spec, tags  # noqa: F401
