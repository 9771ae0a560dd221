"""runtime.validation.positions: the line where the value at a JSON pointer starts, found in one pass."""

import json
import time

from runtime.validation.positions import (bare_constant, duplicate_keys, escape_token, line_of, lines_of,
                             split_pointer)

FLOW_TEXT = """{
  "schema": "callwright/flow@1",
  "blocks": {
    "welcome": {
      "type": "say",
      "config": {"text": "Hi \\"there\\" {{ x }} \u00e9\u4e2d"},
      "exits": {"next": "menu"}
    },
    "menu": {
      "type": "menu",
      "config": {
        "options": [
          {"key": "1", "exit": "a"},
          [1, [2, {"deep": "}]{["}]],
          {"key": "2",
           "exit": "b"}
        ]
      }
    }
  },
  "a/b": {"c~d": 1},
  "": "empty key"
}
"""


def test_line_of_the_whole_document_is_its_first_value():
    assert line_of("\n\n  {\"a\": 1}", "") == 3


def test_line_of_finds_members_of_nested_objects():
    assert line_of(FLOW_TEXT, "/schema") == 2
    assert line_of(FLOW_TEXT, "/blocks/welcome") == 4
    assert line_of(FLOW_TEXT, "/blocks/welcome/exits/next") == 7
    assert line_of(FLOW_TEXT, "/blocks/menu/config/options") == 12


def test_line_of_counts_array_items_through_nested_arrays():
    assert line_of(FLOW_TEXT, "/blocks/menu/config/options/0/exit") == 13
    assert line_of(FLOW_TEXT, "/blocks/menu/config/options/1/1/1/deep") == 14
    assert line_of(FLOW_TEXT, "/blocks/menu/config/options/2") == 15
    assert line_of(FLOW_TEXT, "/blocks/menu/config/options/2/exit") == 16


def test_line_of_is_not_fooled_by_escaped_quotes_brackets_in_strings_or_unicode():
    assert line_of(FLOW_TEXT, "/blocks/welcome/config/text") == 6
    assert line_of(FLOW_TEXT, "/blocks/menu/type") == 10


def test_line_of_unescapes_pointer_tokens_and_handles_the_empty_key():
    assert line_of(FLOW_TEXT, "/a~1b/c~0d") == 21
    assert line_of(FLOW_TEXT, "/") == 22


def test_line_of_matches_keys_written_with_escapes():
    text = '{\n"caf\\u00e9": 1,\n"tab\\tkey": 2}'
    assert line_of(text, "/café") == 2
    assert line_of(text, "/tab\tkey") == 3


def test_line_of_an_absent_pointer_is_none():
    assert line_of(FLOW_TEXT, "/blocks/nowhere") is None
    assert line_of(FLOW_TEXT, "/blocks/menu/config/options/7") is None
    assert line_of(FLOW_TEXT, "/schema/deeper") is None


def test_lines_of_falls_back_to_the_nearest_ancestor_present():
    lines = lines_of(FLOW_TEXT, ["/blocks/menu/config/timeout_s", "/blocks/welcome/type"])
    assert lines == {"/blocks/menu/config/timeout_s": 11, "/blocks/welcome/type": 5}


def test_line_of_never_crashes_on_text_that_is_not_json():
    for text in ["", "{", '{"a": ', '"unterminated', "]]]", '{"a" "b"}', "{[}]"]:
        line_of(text, "/a/0")


def test_deep_nesting_does_not_hit_the_recursion_limit():
    depth = 5000  # five times Python's recursion limit
    text = "[" * depth + "1" + "]" * depth
    assert line_of(text, "/0" * (depth - 1)) == 1


def test_a_large_document_is_scanned_in_linear_time():
    doc = {"blocks": {f"b{i}": {"type": "say", "config": {"text": f"line {i}"}}
                      for i in range(20000)}}
    text = json.dumps(doc, indent=2)
    pointers = [f"/blocks/b{i}/config/text" for i in range(0, 20000, 200)]
    started = time.perf_counter()
    lines = lines_of(text, pointers)
    assert time.perf_counter() - started < 10  # quadratic scanning would take minutes
    assert lines["/blocks/b19800/config/text"] == 6 + 19800 * 6


def test_duplicate_keys_reports_each_repeat_with_its_place():
    text = '{"a": 1,\n "b": {"x": 1, "x": 2},\n "a": 3}'
    assert duplicate_keys(text) == [("/b/x", 2, 16), ("/a", 3, 2)]
    assert duplicate_keys('{"a": {"x": 1}, "b": {"x": 1}}') == []


def test_bare_constant_finds_nan_outside_strings_only():
    assert bare_constant('{"a": "NaN",\n "b": [1, -Infinity]}') == ("-Infinity", 2, 11)
    assert bare_constant('{"a": "NaN"}') is None


def test_pointer_tokens_round_trip():
    for token in ["plain", "a/b", "c~d", "~1", ""]:
        assert split_pointer("/" + escape_token(token)) == [token]
    assert split_pointer("") == []
