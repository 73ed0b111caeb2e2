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
      - Precedence is O(access_key)/O(secret_key) in the task, then an explicit O(profile), then the
        environment variables, then the profile named by E(ALICLOUD_PROFILE) or the current profile of
        O(profile_file).
    type: str
  ca_bundle:
    description:
      - Path of a PEM file with the certificate authorities used to verify the endpoint over HTTPS.
    type: path
  connect_timeout:
    description:
      - Seconds to wait for a connection to the endpoint. The SDK default (5 seconds) applies when not set.
    type: float
  endpoint:
    description:
      - ECS API endpoint, overriding the regional default C(https://ecs.<region>.aliyuncs.com)
        (C(https://ecs-cn-hangzhou.aliyuncs.com) for V(cn-hangzhou)).
      - Either a URL starting with C(http://) or C(https://), or C(host[:port]) which is used over HTTPS.
      - If not set, the environment variable E(ALICLOUD_ECS_ENDPOINT) is used.
    type: str
  profile:
    description:
      - Name of a profile of the aliyun CLI configuration file O(profile_file). Modes C(AK) and C(StsToken)
        are supported.
      - If not set, the environment variable E(ALICLOUD_PROFILE) is used, then the file's current profile.
    type: str
  profile_file:
    description:
      - Path of the aliyun CLI configuration file.
      - If not set, the environment variable E(ALICLOUD_CONFIG_FILE) is used, then C(~/.aliyun/config.json).
    type: path
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
    type: str
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
    type: str
  security_token:
    description:
      - STS security token, for temporary credentials.
      - If not set, the environment variables E(ALICLOUD_SECURITY_TOKEN) and E(ALIBABA_CLOUD_SECURITY_TOKEN)
        are tried.
    type: str
  validate_certs:
    description:
      - Whether to verify the TLS certificate of the endpoint. Turning it off prints a warning.
    type: bool
    default: true
notes:
  - Credentials, region and endpoint can be set once for all modules of the collection with
    C(module_defaults) and the action group C(group/alicloud.ecs.ecs).
requirements:
  - aliyun-python-sdk-core >= 2.13.0
  - aliyun-python-sdk-ecs >= 4.24.0
"""
