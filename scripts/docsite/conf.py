# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sphinx configuration of `make docs` (scripts/build-docs).

What `antsibull-docs sphinx-init` writes, with two changes so that the build
works offline: no intersphinx (it would download inventories from
docs.python.org and docs.ansible.com), and the few references the generated
plugin pages make into the Ansible documentation (common return values,
configuration settings and their environment variables) become plain links to
docs.ansible.com. Any other unresolved reference stays a warning, and
sphinx-build runs with -W, so a broken link inside the collection's own pages
fails the build.
"""

from docutils import nodes

project = "alicloud.ecs"
copyright = "alicloud.ecs contributors"
title = "Alibaba Cloud ECS collection (alicloud.ecs)"
html_short_title = "alicloud.ecs"
html_title = title

extensions = ["sphinx_antsibull_ext"]

pygments_style = "ansible"
highlight_language = "YAML+Jinja"

html_theme = "sphinx_ansible_theme"
html_show_sphinx = False
display_version = False
html_use_smartypants = True
html_use_modindex = False
html_use_index = False
html_copy_source = False
# The theme's defaults link the Ansible blog and forum; this site links its own project instead.
html_theme_options = {
    "topbar_links": {
        "Source": "https://github.com/alicloud-ecs/alicloud.ecs",
        "Issues": "https://github.com/alicloud-ecs/alicloud.ecs/issues",
        "Ansible documentation": "https://docs.ansible.com/",
    },
    "documentation_home_url": "https://alicloud-ecs.github.io/alicloud.ecs/",
}

default_role = "any"
nitpicky = True

ANSIBLE_DOCS = "https://docs.ansible.com/projects/ansible/devel/"
# Labels of the Ansible documentation the generated pages refer to.
ANSIBLE_LABELS = {
    "common_return_values": "reference_appendices/common_return_values.html#common-return-values",
    "ansible_configuration_settings": "reference_appendices/config.html#ansible-configuration-settings",
    "playbooks_reuse_roles": "playbook_guide/playbooks_reuse_roles.html",
    "using_collections": "collections_guide/index.html",
    "module_defaults": "playbook_guide/playbooks_module_defaults.html",
}


def _ansible_docs_link(app, env, node, contnode):
    target = node.get("reftarget", "")
    if node.get("refdomain") == "std" and node.get("reftype") == "envvar" and target.startswith("ANSIBLE_"):
        path = "reference_appendices/config.html#envvar-" + target
    elif node.get("reftype") == "ref" and target in ANSIBLE_LABELS:
        path = ANSIBLE_LABELS[target]
    else:
        return None
    reference = nodes.reference("", "", internal=False, refuri=ANSIBLE_DOCS + path)
    reference.append(contnode)
    return reference


def setup(app):
    app.connect("missing-reference", _ansible_docs_link)
