# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of the credentials fragment for plugins: the same names, with ``env:`` entries.

Values are resolved by plugins/module_utils/_client.py exactly as for modules;
the plugin passes only values set in its configuration file (templated), so an
explicit O(profile) still wins over keys in the environment.  The old names of
alibaba.alicloud are ``aliases`` (the plugin warns when one is used); its old
environment variables are read by _client.py, which warns too.
"""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  access_key:
    description:
      - Alibaba Cloud AccessKey ID. May be a template, for example C({{ vault_alicloud_access_key }}).
      - 'The credential chain, first match wins: O(access_key)/O(secret_key) in the configuration, an explicit
        O(profile), O(ecs_role_name) in the configuration, keys in the environment, the profile named by
        E(ALICLOUD_PROFILE) or E(ALIBABA_CLOUD_PROFILE) or the current profile of O(profile_file), the ECS RAM role
        named by E(ALICLOUD_ECS_ROLE_NAME) or E(ALIBABA_CLOUD_ECS_METADATA). With O(assume_role_arn), the
        credentials found assume that RAM role.'
      - The aliases C(alicloud_access_key) and C(access_key_id) and the environment variable
        E(ALICLOUD_ACCESS_KEY_ID) (names of C(alibaba.alicloud)) are deprecated and will be removed in 2.0.0.
    type: str
    aliases: [alicloud_access_key, access_key_id]
    env:
      - name: ALICLOUD_ACCESS_KEY
      - name: ALIBABA_CLOUD_ACCESS_KEY_ID
  assume_role_arn:
    description:
      - ARN of a RAM role to assume with STS C(AssumeRole), for example V(acs:ram::1234567890123456:role/ansible),
        with the credentials the chain found (see O(access_key)). One C(AssumeRole) serves every region of
        O(regions).
      - The alias C(alicloud_assume_role_arn) is deprecated and will be removed in 2.0.0.
    type: str
    aliases: [alicloud_assume_role_arn]
    env:
      - name: ALICLOUD_ASSUME_ROLE_ARN
  assume_role_duration_seconds:
    description:
      - Lifetime of the role's temporary credentials (C(DurationSeconds)), from V(900) to the role's maximum
        session duration (at most V(43200)). V(3600) when not set.
      - The aliases C(alicloud_assume_role_session_expiration) and C(assume_role_session_expiration) are
        deprecated and will be removed in 2.0.0.
    type: int
    aliases: [alicloud_assume_role_session_expiration, assume_role_session_expiration]
    env:
      - name: ALICLOUD_ASSUME_ROLE_SESSION_EXPIRATION
  assume_role_external_id:
    description:
      - External ID the role's trust policy asks for (C(ExternalId)). May be a template.
    type: str
    env:
      - name: ALICLOUD_ASSUME_ROLE_EXTERNAL_ID
      - name: ALIBABA_CLOUD_EXTERNAL_ID
  assume_role_policy:
    description:
      - JSON text of a policy document that further restricts the role's temporary credentials (C(Policy)).
    type: str
    env:
      - name: ALICLOUD_ASSUME_ROLE_POLICY
  assume_role_session_name:
    description:
      - Session name of the assumed role (C(RoleSessionName)), 2 to 64 letters, digits or C(.@-_).
        V(ansible-alicloud-ecs) when not set.
      - The alias C(alicloud_assume_role_session_name) is deprecated and will be removed in 2.0.0.
    type: str
    aliases: [alicloud_assume_role_session_name]
    env:
      - name: ALICLOUD_ASSUME_ROLE_SESSION_NAME
      - name: ALIBABA_CLOUD_ROLE_SESSION_NAME
  ca_bundle:
    description:
      - Path of a PEM file with the certificate authorities used to verify the endpoint over HTTPS.
    type: path
  connect_timeout:
    description:
      - Seconds to wait for a connection to the endpoint. The SDK default (5 seconds) applies when not set.
    type: float
  ecs_metadata_endpoint:
    description:
      - Base URL of the ECS instance metadata service that O(ecs_role_name) reads, for tests and proxies.
        C(http://100.100.100.200) when not set.
    type: str
    env:
      - name: ALICLOUD_ECS_METADATA_ENDPOINT
  ecs_role_name:
    description:
      - Name of the RAM role attached to the ECS instance the inventory runs on. Its temporary credentials come
        from the instance metadata service and are renewed before they expire.
      - The metadata service is only asked when a role name is given here, in the environment, or by a profile in
        mode C(EcsRamRole).
      - The alias C(role_name) is deprecated and will be removed in 2.0.0.
    type: str
    aliases: [role_name]
    env:
      - name: ALICLOUD_ECS_ROLE_NAME
      - name: ALIBABA_CLOUD_ECS_METADATA
  endpoint:
    description:
      - ECS API endpoint, overriding the regional default C(https://ecs.<region>.aliyuncs.com)
        (C(https://ecs-cn-hangzhou.aliyuncs.com) for V(cn-hangzhou)).
      - Either a URL starting with C(http://) or C(https://), or C(host[:port]) which is used over HTTPS.
      - With several O(regions), the same endpoint is used for all of them.
    type: str
    env:
      - name: ALICLOUD_ECS_ENDPOINT
  profile:
    description:
      - Name of a profile of the aliyun CLI configuration file O(profile_file). Modes C(AK), C(StsToken),
        C(RamRoleArn), C(ChainableRamRoleArn) and C(EcsRamRole) are supported.
      - If not set, the file's current profile is used when no keys are given.
    type: str
    env:
      - name: ALICLOUD_PROFILE
      - name: ALIBABA_CLOUD_PROFILE
  profile_file:
    description:
      - Path of the aliyun CLI configuration file. C(~/.aliyun/config.json) when not set.
      - The alias C(shared_credentials_file) and the environment variable E(ALICLOUD_SHARED_CREDENTIALS_FILE) are
        deprecated and will be removed in 2.0.0.
    type: path
    aliases: [shared_credentials_file]
    env:
      - name: ALICLOUD_CONFIG_FILE
  read_timeout:
    description:
      - Seconds to wait for the answer to one API request. When not set, the SDK's per-action defaults
        apply (10 to 86 seconds).
    type: float
  region:
    description:
      - Default region ID, for example V(cn-beijing), used when O(regions) is not set.
      - If not set, the profile's C(region_id) is used.
      - The aliases C(alicloud_region) and C(region_id) and the environment variable E(ALICLOUD_REGION_ID) are
        deprecated and will be removed in 2.0.0.
    type: str
    aliases: [alicloud_region, region_id]
    env:
      - name: ALICLOUD_REGION
      - name: ALIBABA_CLOUD_REGION_ID
  retry_timeout:
    description:
      - Total seconds one API call may spend retrying throttling and transient errors (jittered exponential
        backoff, honouring the C(x-acs-retry-after) header, in milliseconds). V(0) means no retry at all.
      - Failures that retrying cannot cure fail at once, whatever this says; an endpoint host name that does
        not resolve (a mistyped region, named in the message), a TLS certificate or handshake failure, and
        API errors other than throttling, conflicts and server errors.
    type: float
    default: 120
  secret_key:
    description:
      - Alibaba Cloud AccessKey secret. May be a template.
      - The aliases C(alicloud_secret_key) and C(secret_access_key) and the environment variable
        E(ALICLOUD_SECRET_ACCESS_KEY) are deprecated and will be removed in 2.0.0.
    type: str
    aliases: [alicloud_secret_key, secret_access_key]
    env:
      - name: ALICLOUD_SECRET_KEY
      - name: ALIBABA_CLOUD_ACCESS_KEY_SECRET
  security_token:
    description:
      - STS security token, for temporary credentials. May be a template.
      - The alias C(alicloud_security_token) is deprecated and will be removed in 2.0.0.
    type: str
    aliases: [alicloud_security_token]
    env:
      - name: ALICLOUD_SECURITY_TOKEN
      - name: ALIBABA_CLOUD_SECURITY_TOKEN
  sts_endpoint:
    description:
      - STS endpoint for O(assume_role_arn) and role profiles, for example C(sts-vpc.cn-hangzhou.aliyuncs.com).
        C(https://sts.aliyuncs.com) when not set, or the profile's C(sts_region).
    type: str
    env:
      - name: ALICLOUD_STS_ENDPOINT
  validate_certs:
    description:
      - Whether to verify the TLS certificate of the endpoint.
    type: bool
    default: true
requirements:
  - aliyun-python-sdk-core >= 2.13.0
  - aliyun-python-sdk-ecs >= 4.24.0
"""
