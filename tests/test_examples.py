"""Every example document in the repository is valid: the examples are what newcomers copy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

import schemas
from blocks import default_registry
from runtime import Workspace
from runtime.workspace.settings import load_settings
from runtime.workspace.stable_form import dumps
from runtime.validation import validate_workspace

REPO = Path(__file__).resolve().parent.parent
WORKSPACE = REPO / "examples" / "workspace"
MANIFESTS = sorted((REPO / "examples" / "acme-crm" / "acme_crm").glob("*.json"))


def test_the_example_workspace_has_no_problem_at_all():
    assert validate_workspace(WORKSPACE, default_registry()) == []


def test_every_example_flow_goes_live_and_every_route_names_one():
    workspace = Workspace.load(WORKSPACE, default_registry())
    assert workspace.problems == {}
    assert set(workspace.flows) == {p.stem for p in (WORKSPACE / "flows").glob("*.json")}
    for channel in ("voice", "chat", "sms"):
        for flow_id in workspace.routes.get(channel, {}).values():
            assert flow_id in workspace.flows


def test_the_example_settings_are_valid_settings():
    settings = load_settings(WORKSPACE, environ={})
    assert settings["server"]["port"] == 8080


# the documents kept in git: not what a runtime writes under .callwright/ (data, flow versions)
DOCUMENTS = sorted(path for path in WORKSPACE.rglob("*.json")
                   if ".callwright" not in path.relative_to(WORKSPACE).parts)


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_every_example_document_is_kept_in_the_stable_form(path):
    assert path.read_text("utf-8") == dumps(json.loads(path.read_text("utf-8")), default_registry())


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_every_example_block_manifest_is_a_valid_manifest(path):
    manifest = json.loads(path.read_text("utf-8"))
    assert list(Draft202012Validator(schemas.load("block")).iter_errors(manifest)) == []
