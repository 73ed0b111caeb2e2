"""The AWX credential type injects exactly what the collection reads."""

from __future__ import annotations

import re

import jinja2
import jinja2.meta
import pytest
import yaml

from tests.packaging.support import REPO_ROOT

CREDENTIAL_TYPE = REPO_ROOT / "extensions" / "awx" / "credential_type.yml"
GUIDE = REPO_ROOT / "docs" / "docsite" / "rst" / "awx.rst"
ENV_NAME = re.compile(r"\b(?:ALICLOUD|ALIBABA_CLOUD)_[A-Z0-9_]*[A-Z0-9]\b")
# The variables DESIGN.md promises; the credential type must set them all.
EXPECTED_ENV = {
    "ALICLOUD_ACCESS_KEY",
    "ALICLOUD_SECRET_KEY",
    "ALICLOUD_SECURITY_TOKEN",
    "ALICLOUD_REGION",
    "ALICLOUD_ECS_ENDPOINT",
}
SECRET_ENV = {"ALICLOUD_SECRET_KEY", "ALICLOUD_SECURITY_TOKEN"}


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
