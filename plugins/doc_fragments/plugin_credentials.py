# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of the credentials fragment for plugins: the same names, with ``env:`` entries.

Values are resolved by plugins/module_utils/_client.py exactly as for modules;
the plugin passes only values set in its configuration file (templated), so an
explicit O(profile) still wins over keys in the environment.
"""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  access_key:
    description:
      - Alibaba Cloud AccessKey ID. May be a template, for example C({{ vault_alicloud_access_key }}).
      - Precedence is O(access_key)/O(secret_key) in the configuration, then an explicit O(profile), then the
        environment variables, then the profile named by E(ALICLOUD_PROFILE) or the current profile of
        O(profile_file).
    type: str
    env:
      - name: ALICLOUD_ACCESS_KEY
      - name: ALIBABA_CLOUD_ACCESS_KEY_ID
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
      - With several O(regions), the same endpoint is used for all of them.
    type: str
    env:
      - name: ALICLOUD_ECS_ENDPOINT
  profile:
    description:
      - Name of a profile of the aliyun CLI configuration file O(profile_file). Modes C(AK) and C(StsToken)
        are supported.
      - If not set, the file's current profile is used when no keys are given.
    type: str
    env:
      - name: ALICLOUD_PROFILE
  profile_file:
    description:
      - Path of the aliyun CLI configuration file. C(~/.aliyun/config.json) when not set.
    type: path
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
    type: str
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
    type: str
    env:
      - name: ALICLOUD_SECRET_KEY
      - name: ALIBABA_CLOUD_ACCESS_KEY_SECRET
  security_token:
    description:
      - STS security token, for temporary credentials. May be a template.
    type: str
    env:
      - name: ALICLOUD_SECURITY_TOKEN
      - name: ALIBABA_CLOUD_SECURITY_TOKEN
  validate_certs:
    description:
      - Whether to verify the TLS certificate of the endpoint.
    type: bool
    default: true
requirements:
  - aliyun-python-sdk-core >= 2.13.0
  - aliyun-python-sdk-ecs >= 4.24.0
"""
