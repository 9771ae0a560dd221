"""runtime.validation.source: JSON text to documents, problems placed at their lines."""

from pathlib import Path

from runtime.validation.problem import Problem, error
from runtime.validation.source import locate, parse_json, read_json, read_text


def test_valid_json_parses_with_no_problems():
    assert parse_json('{"a": [1, 2.5, "é"]}') == ({"a": [1, 2.5, "é"]}, [])


def test_malformed_json_is_one_error_with_line_and_column():
    doc, problems = parse_json('{\n  "a": 1,\n  "b" 2\n}', "flows/x.json")
    assert doc is None
    [problem] = problems
    assert (problem.severity, problem.file, problem.line, problem.column) == (
        "error", "flows/x.json", 3, 7)
    assert problem.message == "Expecting ':' delimiter at line 3 column 7"
    assert str(problem).startswith("flows/x.json:3:7: error: Expecting ':' delimiter")


def test_a_missing_comma_is_named():
    _, [problem] = parse_json('{"a": 1\n "b": 2}')
    assert problem.message == "Expecting ',' delimiter at line 2 column 2"


def test_empty_text_is_malformed():
    doc, [problem] = parse_json("")
    assert doc is None and problem.line == 1 and problem.column == 1


def test_nan_and_infinity_are_refused_as_not_json():
    doc, [problem] = parse_json('{"a":\n  NaN}')
    assert doc is None
    assert (problem.line, problem.column) == (2, 3)
    assert problem.message == "NaN is not valid JSON at line 2 column 3"


def test_a_repeated_key_is_an_error_at_each_repeat_since_json_would_drop_a_value():
    text = '{"blocks": {\n  "a": {"type": "say"},\n  "a": {"type": "end"}}}'
    doc, problems = parse_json(text, "f.json")
    assert doc is None
    assert [(p.pointer, p.block, p.line, p.column) for p in problems] == [("/blocks/a", "a", 3, 3)]
    assert problems[0].message == "duplicate key 'a' (JSON would keep only the last) at line 3 column 3"


def test_absurd_nesting_is_an_error_not_a_crash():
    doc, [problem] = parse_json("[" * 100000 + "]" * 100000)
    assert doc is None and problem.is_error


def test_read_text_tolerates_a_bom_and_names_the_line_of_bad_utf8(tmp_path: Path):
    good = tmp_path / "good.json"
    good.write_bytes(b"\xef\xbb\xbf{}")
    assert read_text(good) == ("{}", [])
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{\n"a": "\xff"}')
    text, [problem] = read_text(bad)
    assert text is None
    assert (problem.file, problem.line) == (str(bad), 2)
    assert "not UTF-8" in problem.message


def test_read_json_of_a_missing_file_is_an_error(tmp_path: Path):
    text, doc, [problem] = read_json(tmp_path / "none.json")
    assert text is None and doc is None and "cannot read" in problem.message


def test_locate_fills_file_and_line_from_pointers_and_keeps_known_lines():
    text = '{\n  "start": "x",\n  "blocks": {\n    "x": {"type": "say"}\n  }\n}'
    problems = locate([error("/start", "gone"), error("/blocks/x/config/text", "missing"),
                       error("/nowhere", "top"), Problem("error", "", "kept", line=9)],
                      text, "f.json")
    assert [(p.file, p.line) for p in problems] == [
        ("f.json", 2), ("f.json", 4), ("f.json", 1), ("f.json", 9)]
