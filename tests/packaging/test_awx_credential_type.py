"""The AWX credential type injects exactly what the collection reads."""

from __future__ import annotations

import ast
import re

import jinja2
import jinja2.meta
import pytest
import yaml

from tests.packaging.support import REPO_ROOT

CREDENTIAL_TYPE = REPO_ROOT / "extensions" / "awx" / "credential_type.yml"
GUIDE = REPO_ROOT / "docs" / "docsite" / "rst" / "awx.rst"
ENV_NAME = re.compile(r"\b(?:ALICLOUD|ALIBABA_CLOUD)_[A-Z0-9_]*[A-Z0-9]\b")
# The variables DESIGN.md promises, and those of the RAM role and the ECS instance RAM role
# (docs/guide.md sections 2 and 8); the credential type must set them all.
EXPECTED_ENV = {
    "ALICLOUD_ACCESS_KEY",
    "ALICLOUD_SECRET_KEY",
    "ALICLOUD_SECURITY_TOKEN",
    "ALICLOUD_REGION",
    "ALICLOUD_ECS_ENDPOINT",
    "ALICLOUD_ASSUME_ROLE_ARN",
    "ALICLOUD_ASSUME_ROLE_SESSION_NAME",
    "ALICLOUD_ASSUME_ROLE_SESSION_EXPIRATION",
    "ALICLOUD_ASSUME_ROLE_EXTERNAL_ID",
    "ALICLOUD_ECS_ROLE_NAME",
    "ALICLOUD_STS_ENDPOINT",
}
SECRET_ENV = {"ALICLOUD_SECRET_KEY", "ALICLOUD_SECURITY_TOKEN", "ALICLOUD_ASSUME_ROLE_EXTERNAL_ID"}
# What AWX refuses to inject (awx/main/fields.py, CredentialTypeInjectorField.validate_env_var_allowed).
AWX_ENV_BLOCKLIST = {
    "VIRTUAL_ENV", "PATH", "PYTHONPATH", "JOB_ID", "INVENTORY_ID", "INVENTORY_SOURCE_ID", "INVENTORY_UPDATE_ID",
    "AD_HOC_COMMAND_ID", "REST_API_URL", "REST_API_TOKEN", "MAX_EVENT_RES", "CALLBACK_QUEUE", "CALLBACK_CONNECTION",
    "CACHE", "JOB_CALLBACK_DEBUG", "INVENTORY_HOSTVARS", "AWX_HOST", "PROJECT_REVISION", "SUPERVISOR_CONFIG_PATH",
}
FIELD_ID = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


@pytest.fixture(scope="module")
def credential_type():
    return yaml.safe_load(CREDENTIAL_TYPE.read_text())


@pytest.fixture(scope="module")
def fields(credential_type):
    return {field["id"]: field for field in credential_type["inputs"]["fields"]}


def _variables(template: str) -> set[str]:
    return jinja2.meta.find_undeclared_variables(jinja2.Environment().parse(template))


def env_names_read_by_plugins() -> set[str]:
    sources = sorted((REPO_ROOT / "plugins").rglob("*.py"))
    return {name for path in sources for name in ENV_NAME.findall(path.read_text())}


def test_shape(credential_type, fields):
    assert credential_type["kind"] in ("cloud", "net")  # the only kinds AWX allows for custom types
    assert credential_type["name"]
    assert len(fields) == len(credential_type["inputs"]["fields"]), "duplicate field ids"
    for field in fields.values():
        assert {"id", "label", "type"} <= set(field), field
        assert field["type"] in ("string", "boolean"), field
    assert set(credential_type["inputs"]["required"]) <= set(fields)
    assert set(credential_type["injectors"]) == {"env"}


def test_injects_the_collection_environment(credential_type):
    assert set(credential_type["injectors"]["env"]) == EXPECTED_ENV


def test_awx_accepts_the_field_ids_and_variable_names(credential_type, fields):
    assert all(FIELD_ID.match(field_id) for field_id in fields), sorted(fields)
    for name in credential_type["injectors"]["env"]:
        assert not name.startswith("ANSIBLE_") and name not in AWX_ENV_BLOCKLIST, name


def test_no_field_is_required(credential_type):
    """An ECS instance RAM role needs no AccessKey; a RAM role ARN needs one. Neither is a required field."""
    assert credential_type["inputs"]["required"] == []


@pytest.mark.parametrize(
    "field_id,option",
    [
        ("assume_role_arn", "assume_role_arn"),
        ("assume_role_session_name", "assume_role_session_name"),
        ("assume_role_duration_seconds", "assume_role_duration_seconds"),
        ("assume_role_external_id", "assume_role_external_id"),
        ("ecs_role_name", "ecs_role_name"),
        ("sts_endpoint", "sts_endpoint"),
        ("access_key", "access_key"),
        ("region", "region"),
    ],
)
def test_each_field_reaches_the_option_of_its_name(credential_type, field_id, option):
    """The variable a field is injected as is one the collection reads for the option of the same name."""
    injected = [name for name, template in credential_type["injectors"]["env"].items() if _variables(template) == {field_id}]
    assert len(injected) == 1 and injected[0] in client_env_vars()[option], (field_id, injected)


def client_env_vars() -> dict[str, tuple[str, ...]]:
    """``ENV_VARS`` of plugins/module_utils/_client.py: the variables read for each option."""
    tree = ast.parse((REPO_ROOT / "plugins" / "module_utils" / "_client.py").read_text())
    node = next(n for n in tree.body if isinstance(n, ast.AnnAssign) and getattr(n.target, "id", "") == "ENV_VARS")
    return ast.literal_eval(node.value)


def test_every_injected_name_is_read_by_the_collection(credential_type):
    read = env_names_read_by_plugins()
    assert read, "found no ALICLOUD_*/ALIBABA_CLOUD_* name in plugins/ sources"
    unread = set(credential_type["injectors"]["env"]) - read
    assert not unread, f"injected but never read by plugins/: {sorted(unread)}"


def test_injectors_use_only_declared_fields_and_every_field_is_injected(credential_type, fields):
    used = set()
    for name, template in credential_type["injectors"]["env"].items():
        variables = _variables(template)
        assert variables and variables <= set(fields), (name, template)
        used |= variables
    assert used == set(fields), f"fields never injected: {set(fields) - used}"


@pytest.mark.parametrize("env_name", sorted(SECRET_ENV))
def test_secret_fields_are_secret(credential_type, fields, env_name):
    (field_id,) = _variables(credential_type["injectors"]["env"][env_name])
    assert fields[field_id].get("secret") is True, fields[field_id]


def test_guide_documents_every_variable(credential_type):
    guide = GUIDE.read_text()
    for name in credential_type["injectors"]["env"]:
        assert f"``{name}``" in guide, name
