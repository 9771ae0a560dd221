"""/api/v1/bots: the live bots, and a phrase tried on one as a bot block would classify it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from builder.app import create_app

BANK = {"schema": "callwright/bot@1", "id": "bank", "name": "Bank assistant",
        "languages": ["en", "ru"],
        "intents": {"balance": {"examples": {"en": ["what is my balance"],
                                             "ru": ["какой у меня баланс"]}},
                    "hours": {"examples": {"en": ["when are you open"],
                                           "ru": ["когда вы работаете"]},
                              "response": "bank/hours"}},
        "entities": {"account": {"kind": "digits", "min_length": 8, "max_length": 8}}}
FLOW = {"schema": "callwright/flow@1", "id": "hello", "start": "bye",
        "blocks": {"bye": {"type": "end"}}}


@pytest.fixture
def client(make_workspace):
    root: Path = make_workspace(FLOW)
    (root / "bots").mkdir()
    (root / "bots" / "bank.json").write_text(json.dumps(BANK), "utf-8")
    (root / "bots" / "broken.json").write_text(json.dumps({**BANK, "id": "broken",
                                                            "languages": []}), "utf-8")
    app = create_app(root, {"TESTING": True})
    yield app.test_client()
    app.extensions["callwright.runtime"].close()


def test_every_bot_file_is_listed_the_live_ones_with_intents_and_the_refused_files(client):
    body = client.get("/api/v1/bots").get_json()
    bot, broken = body["bots"]
    assert (bot["id"], bot["name"], bot["languages"]) == ("bank", "Bank assistant", ["en", "ru"])
    assert bot["intents"] == [{"name": "balance"}, {"name": "hours", "response": "bank/hours"}]
    assert bot["live"]["content_hash"] == bot["version"] and bot["draft"] is None
    assert (broken["id"], broken["live"], "intents" in broken) == ("broken", None, False)
    assert [(Path(p["file"]).name, p["pointer"]) for p in body["problems"]] == [
        ("broken.json", "/languages")]


def test_a_bot_is_read_with_its_version_as_etag(client):
    response = client.get("/api/v1/bots/bank")
    assert response.status_code == 200 and response.get_json() == BANK
    assert response.headers["ETag"].strip('"') == client.get("/api/v1/bots").get_json()[
        "bots"][0]["version"]
    missing = client.get("/api/v1/bots/broken")
    assert (missing.status_code, missing.get_json()["error"]["code"]) == (404, "bot_not_found")


def test_a_phrase_is_classified_with_confidence_entities_and_language(client):
    body = client.post("/api/v1/bots/bank/classify",
                       json={"text": "какой баланс счета 12345678"}).get_json()
    assert (body["intent"], body["language"], body["entities"]) == ("balance", "ru",
                                                                   {"account": "12345678"})
    assert 0.5 <= body["confidence"] <= 1 and body["understood"] is True
    hours = client.post("/api/v1/bots/bank/classify", json={"text": "when r u open"}).get_json()
    assert (hours["intent"], hours["response"]) == ("hours", "bank/hours")


def test_a_phrase_nothing_like_the_examples_is_not_understood(client):
    body = client.post("/api/v1/bots/bank/classify", json={"text": "tell me a joke"}).get_json()
    assert body["understood"] is False and body["confidence"] < 0.5
    empty = client.post("/api/v1/bots/bank/classify", json={"text": ""}).get_json()
    assert (empty["intent"], empty["confidence"], empty["understood"]) == (None, 0.0, False)


@pytest.mark.parametrize("body, pointer", [({}, "/text"), ({"text": 3}, "/text"),
                                           ({"text": "x" * 4001}, "/text"),
                                           ({"text": "hi", "language": 1}, "/language"),
                                           ({"text": "hi", "extra": 1}, "/extra"), ([], "")])
def test_a_bad_body_is_a_400_naming_the_field(client, body, pointer):
    response = client.post("/api/v1/bots/bank/classify", json=body)
    assert response.status_code == 400
    assert [d["pointer"] for d in response.get_json()["error"]["details"]] == [pointer]


def test_classifying_with_a_bot_that_does_not_exist_is_a_404(client):
    response = client.post("/api/v1/bots/shop/classify", json={"text": "hi"})
    assert (response.status_code, response.get_json()["error"]["code"]) == (404, "bot_not_found")


def test_classifying_with_a_bot_whose_working_copy_has_errors_is_a_422_naming_them(client):
    response = client.post("/api/v1/bots/broken/classify", json={"text": "hi"})
    assert (response.status_code, response.get_json()["error"]["code"]) == (422, "invalid_bot")
    assert [d["pointer"] for d in response.get_json()["error"]["details"]] == ["/languages"]


def test_the_answers_match_the_api_documents_schemas(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    def conforms(name: str, instance: object) -> list[str]:
        schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
        return [e.message for e in Draft202012Validator(schema).iter_errors(instance)]

    assert conforms("BotList", client.get("/api/v1/bots").get_json()) == []
    assert conforms("BotDocument", client.get("/api/v1/bots/bank").get_json()) == []
    for text in ("what is my balance", "", "какой баланс 12345678"):
        answer = client.post("/api/v1/bots/bank/classify", json={"text": text}).get_json()
        assert conforms("Classification", answer) == []
    assert conforms("ClassifyRequest", {"text": "hi", "extra": 1}) != []
