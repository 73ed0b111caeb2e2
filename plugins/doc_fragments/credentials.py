# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options paired with CREDENTIALS_SPEC in plugins/module_utils/_args.py."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  access_key:
    description:
      - Alibaba Cloud AccessKey ID.
      - If not set, the environment variables E(ALICLOUD_ACCESS_KEY) and E(ALIBABA_CLOUD_ACCESS_KEY_ID) are
        tried, then the profile (see O(profile)).
      - 'The credential chain, first match wins: O(access_key)/O(secret_key) in the task, an explicit O(profile),
        O(ecs_role_name) in the task, keys in the environment, the profile named by E(ALICLOUD_PROFILE) or
        E(ALIBABA_CLOUD_PROFILE) or the current profile of O(profile_file), the ECS RAM role named by
        E(ALICLOUD_ECS_ROLE_NAME) or E(ALIBABA_CLOUD_ECS_METADATA). With O(assume_role_arn), the credentials found
        assume that RAM role.'
      - The aliases C(alicloud_access_key) and C(access_key_id) and the environment variable
        E(ALICLOUD_ACCESS_KEY_ID) (names of C(alibaba.alicloud)) are deprecated and will be removed in 2.0.0.
    type: str
    aliases: [alicloud_access_key, access_key_id]
  assume_role_arn:
    description:
      - ARN of a RAM role to assume with STS C(AssumeRole), for example V(acs:ram::1234567890123456:role/ansible).
        The credentials the chain found (see O(access_key)) sign the C(AssumeRole) call; every API call is then
        made with the role's temporary credentials, which are renewed before they expire, however long a task
        waits.
      - If not set, the environment variable E(ALICLOUD_ASSUME_ROLE_ARN) is used.
      - A profile in mode C(RamRoleArn) or C(ChainableRamRoleArn) assumes its own role; this option then assumes
        one more (role chaining).
      - The alias C(alicloud_assume_role_arn) is deprecated and will be removed in 2.0.0.
    type: str
    aliases: [alicloud_assume_role_arn]
  assume_role_duration_seconds:
    description:
      - Lifetime of the role's temporary credentials (C(DurationSeconds)), from V(900) to the role's maximum
        session duration (at most V(43200)). V(3600) when not set.
      - If not set, the environment variable E(ALICLOUD_ASSUME_ROLE_SESSION_EXPIRATION) is used.
      - The aliases C(alicloud_assume_role_session_expiration) and C(assume_role_session_expiration) are
        deprecated and will be removed in 2.0.0.
    type: int
    aliases: [alicloud_assume_role_session_expiration, assume_role_session_expiration]
  assume_role_external_id:
    description:
      - External ID the role's trust policy asks for (C(ExternalId)).
      - If not set, the environment variables E(ALICLOUD_ASSUME_ROLE_EXTERNAL_ID) and E(ALIBABA_CLOUD_EXTERNAL_ID)
        are tried.
    type: str
  assume_role_policy:
    description:
      - A policy document (a dictionary, or its JSON text) that further restricts the role's temporary
        credentials (C(Policy)).
      - If not set, the environment variable E(ALICLOUD_ASSUME_ROLE_POLICY) is used.
    type: json
  assume_role_session_name:
    description:
      - Session name of the assumed role (C(RoleSessionName)), 2 to 64 letters, digits or C(.@-_); it shows in
        ActionTrail. V(ansible-alicloud-ecs) when not set.
      - If not set, the environment variables E(ALICLOUD_ASSUME_ROLE_SESSION_NAME) and
        E(ALIBABA_CLOUD_ROLE_SESSION_NAME) are tried.
      - The alias C(alicloud_assume_role_session_name) is deprecated and will be removed in 2.0.0.
    type: str
    aliases: [alicloud_assume_role_session_name]
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
      - If not set, the environment variable E(ALICLOUD_ECS_METADATA_ENDPOINT) is used.
    type: str
  ecs_role_name:
    description:
      - Name of the RAM role attached to the ECS instance the task runs on (the instance RAM role). Its temporary
        credentials come from the instance metadata service
        (C(http://100.100.100.200/latest/meta-data/ram/security-credentials/<role>)) and are renewed before they
        expire.
      - If not set, the environment variables E(ALICLOUD_ECS_ROLE_NAME) and E(ALIBABA_CLOUD_ECS_METADATA) are
        tried, after keys and profiles (see O(access_key)). The metadata service is only asked when a role name
        is given here, in the environment, or by a profile in mode C(EcsRamRole).
      - The alias C(role_name) is deprecated and will be removed in 2.0.0.
    type: str
    aliases: [role_name]
  endpoint:
    description:
      - ECS API endpoint, overriding the regional default C(https://ecs.<region>.aliyuncs.com)
        (C(https://ecs-cn-hangzhou.aliyuncs.com) for V(cn-hangzhou)).
      - Either a URL starting with C(http://) or C(https://), or C(host[:port]) which is used over HTTPS.
      - If not set, the environment variable E(ALICLOUD_ECS_ENDPOINT) is used.
    type: str
  profile:
    description:
      - Name of a profile of the aliyun CLI configuration file O(profile_file). Modes C(AK), C(StsToken),
        C(RamRoleArn) (C(access_key_id), C(access_key_secret), C(ram_role_arn), C(ram_session_name),
        C(expired_seconds), C(external_id), C(policy)), C(ChainableRamRoleArn) (C(source_profile) and the role
        fields) and C(EcsRamRole) (C(ram_role_name)) are supported.
      - If not set, the environment variables E(ALICLOUD_PROFILE) and E(ALIBABA_CLOUD_PROFILE) are used, then the
        file's current profile.
    type: str
  profile_file:
    description:
      - Path of the aliyun CLI configuration file.
      - If not set, the environment variable E(ALICLOUD_CONFIG_FILE) is used, then C(~/.aliyun/config.json).
      - The alias C(shared_credentials_file) and the environment variable E(ALICLOUD_SHARED_CREDENTIALS_FILE) are
        deprecated and will be removed in 2.0.0.
    type: path
    aliases: [shared_credentials_file]
  read_timeout:
    description:
      - Seconds to wait for the answer to one API request. When not set, the SDK's per-action defaults
        apply (10 to 86 seconds).
    type: float
  region:
    description:
      - Region ID, for example V(cn-beijing).
      - If not set, the environment variables E(ALICLOUD_REGION) and E(ALIBABA_CLOUD_REGION_ID) are tried,
        then the profile's C(region_id).
      - The aliases C(alicloud_region) and C(region_id) and the environment variable E(ALICLOUD_REGION_ID) are
        deprecated and will be removed in 2.0.0.
    type: str
    aliases: [alicloud_region, region_id]
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
      - Alibaba Cloud AccessKey secret.
      - If not set, the environment variables E(ALICLOUD_SECRET_KEY) and E(ALIBABA_CLOUD_ACCESS_KEY_SECRET)
        are tried, then the profile.
      - The aliases C(alicloud_secret_key) and C(secret_access_key) and the environment variable
        E(ALICLOUD_SECRET_ACCESS_KEY) are deprecated and will be removed in 2.0.0.
    type: str
    aliases: [alicloud_secret_key, secret_access_key]
  security_token:
    description:
      - STS security token, for temporary credentials.
      - If not set, the environment variables E(ALICLOUD_SECURITY_TOKEN) and E(ALIBABA_CLOUD_SECURITY_TOKEN)
        are tried.
      - The alias C(alicloud_security_token) is deprecated and will be removed in 2.0.0.
    type: str
    aliases: [alicloud_security_token]
  sts_endpoint:
    description:
      - STS endpoint for O(assume_role_arn) and role profiles, for example C(sts-vpc.cn-hangzhou.aliyuncs.com) (a
        VPC endpoint). C(https://sts.aliyuncs.com) when not set, or the profile's C(sts_region).
      - Either a URL starting with C(http://) or C(https://), or C(host[:port]) which is used over HTTPS.
      - If not set, the environment variable E(ALICLOUD_STS_ENDPOINT) is used.
    type: str
  validate_certs:
    description:
      - Whether to verify the TLS certificate of the endpoint. Turning it off prints a warning.
    type: bool
    default: true
notes:
  - Credentials, region and endpoint can be set once for all modules of the collection with
    C(module_defaults) and the action group C(group/alicloud.ecs.ecs).
  - Secrets are never shown, at any verbosity; temporary credentials from STS and the metadata service are
    masked like O(secret_key).
requirements:
  - aliyun-python-sdk-core >= 2.13.0
  - aliyun-python-sdk-ecs >= 4.24.0
"""
