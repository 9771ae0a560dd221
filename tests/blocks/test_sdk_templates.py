"""blocks.sdk.templates: templates render under limits on work, size, output and nesting.

Every attack here is refused quickly, with a `TemplateLimitError` naming its limit, before the
big value exists; legitimate templates render exactly as Jinja renders them.
"""

from __future__ import annotations

import faulthandler
import json
import pickle
import resource
import time

import pytest
from jinja2 import ChainableUndefined
from jinja2.sandbox import SandboxedEnvironment

from blocks.sdk import BlockError
from blocks.sdk.limits import MAX_BUILT, MAX_DEPTH, MAX_OUTPUT, MAX_STEPS, TemplateLimitError
from blocks.sdk.templates import (_ENV, ConfigTemplate, compile_template, render_text,
                                  render_value, shared_checks, template_error)
from runtime import simulate

WATCHDOG_S = 60  # a hung test aborts the run with every thread's traceback
MEMORY_HEADROOM = 768 * 1024 * 1024  # a regression building gigabytes fails with MemoryError
# An attack is refused in milliseconds (the seconds limit: one CPU second); counted in this
# process's CPU time, which a loaded machine does not stretch as it stretches wall time.
QUICK_S = 5.0


@pytest.fixture(autouse=True)
def bounded():
    """Keep a regression from hanging the suite (even inside C code) or swapping the machine."""
    faulthandler.dump_traceback_later(WATCHDOG_S, exit=True)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = _address_space() + MEMORY_HEADROOM
    if hard == resource.RLIM_INFINITY or cap < hard:
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        faulthandler.cancel_dump_traceback_later()


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


def refused(source: str, scope: dict | None = None) -> TemplateLimitError:
    """Render `source` and return the limit error it must raise, quickly."""
    started = time.process_time()
    with pytest.raises(TemplateLimitError) as caught:
        render_text(source, scope or {})
    assert time.process_time() - started < QUICK_S
    return caught.value


# Templates over a limit whatever the data: refused when rendered, reported by validation.
CONSTANT = {
    # growth by an operator: never folded while compiling, refused before it is computed
    "repeat a text": ("{{ 'a' * 1000000000 }}", "built"),
    "repeat, count first": ("{{ 1000000000 * 'a' }}", "built"),
    "repeat a list": ("{{ [0] * 1000000000 }}", "built"),
    "repeat a tuple": ("{{ (1, 2) * 1000000000 }}", "built"),
    "repeat markup": ("{{ ('a'|safe) * 1000000000 }}", "built"),
    "repeat bytes": ("{{ 'a'.encode() * 1000000000 }}", "built"),
    "power": ("{{ 2 ** 10000000 }}", "digits"),
    "power of a power": ("{{ 9 ** (9 ** 9) }}", "digits"),
    "product of big numbers": ("{{ (10 ** 2000) * (10 ** 2500) }}", "digits"),
    "printf width": ("{{ '%999999999s' % 1 }}", "built"),
    "printf zero padding": ("{{ '%0999999999d' % 1 }}", "built"),
    "printf precision": ("{{ '%.999999999f' % 1.0 }}", "built"),
    "printf star width": ("{{ '%*s' % (999999999, 'a') }}", "built"),
    "printf named": ("{{ '%(a)999999999s' % {'a': 1} }}", "built"),
    "printf of a big value many times": (
        "{% set l = ['x' * 1000] * 1000 %}{{ '%s%s%s%s%s' % (l, l, l, l, l) }}", "built"),
    "format width": ("{{ '{:999999999}'.format(1) }}", "built"),
    "format nested width": ("{{ '{0:>{1}}'.format('a', 999999999) }}", "built"),
    "format precision": ("{{ '{:.999999999f}'.format(1.0) }}", "built"),
    "format_map width": ("{{ '{x:^999999999}'.format_map({'x': 1}) }}", "built"),
    "format a field many times": ("{{ '{0}{0}{0}{0}'.format('ab' * 1000000) }}", "built"),
    # methods and filters that make much from little
    "center filter": ("{{ 'a'|center(1000000000) }}", "built"),
    "center method": ("{{ 'a'.center(1000000000) }}", "built"),
    "ljust": ("{{ 'a'.ljust(1000000000) }}", "built"),
    "rjust": ("{{ 'a'.rjust(1000000000, '*') }}", "built"),
    "zfill": ("{{ '7'.zfill(1000000000) }}", "built"),
    "expandtabs": ("{{ ('\\t' * 1000).expandtabs(100000000) }}", "built"),
    "indent width": ("{{ 'a\\nb'|indent(1000000000) }}", "built"),
    "indent text": ("{{ ('a\\n' * 100000)|indent('x' * 1000) }}", "built"),
    "wordwrap wrapstring": ("{{ ('ab ' * 10000)|wordwrap(1, true, 'x' * 10000) }}", "built"),
    "wordwrap a long word": ("{{ ('a' * 1000000)|wordwrap(1) }}", "built"),
    "format filter": ("{{ '%999999999s'|format('x') }}", "built"),
    "replace empty": ("{{ ('a' * 10000)|replace('', 'b' * 10000) }}", "built"),
    "replace filter": ("{{ ('x' * 100000)|replace('x', 'y' * 1000) }}", "built"),
    "replace method": ("{{ ('x' * 100000).replace('x', 'y' * 1000) }}", "built"),
    "join method": ("{{ ('x' * 10000).join(['y' * 1000] * 1000) }}", "built"),
    "join filter": ("{{ range(1000)|join('x' * 10000) }}", "built"),
    "join of big items": ("{{ (['y' * 10000] * 1000)|join }}", "built"),
    "translate": ("{{ ('a' * 100000).translate({97: 'b' * 1000}) }}", "built"),
    "batch fill": ("{{ [1]|batch(1000000000, 'x')|list }}", "built"),
    "list repeated": ("{{ (range(10000)|list) * 1000 }}", "built"),
    "sum of lists": ("{{ ([[0]] * 3000)|sum(start=[]) }}", "built"),
    "lipsum": ("{{ lipsum(1000000) }}", "built"),
    "round floor": ("{{ 1.5|round(1000000000, 'floor') }}", "digits"),
    "round an integer": ("{{ 10|round(-1000000000) }}", "digits"),
    "to_bytes": ("{{ (1).to_bytes(1000000000, 'big') }}", "built"),
    "tojson indent": ("{{ [1, [2]]|tojson(indent=100000000) }}", "built"),
    "tojson of a shared list": ("{{ ([[0] * 1000] * 1000)|tojson }}", "steps"),
    "pprint": ("{{ (['x' * 1000] * 1000)|pprint }}", "built"),
    "urlize target": ("{{ ('a ' * 100000)|urlize(target='x' * 1000) }}", "built"),
    "print a shared list": ("{{ [[0] * 1000] * 1000 }}", "steps"),
    "print a list of big texts": ("{{ ['x' * 100000] * 100 }}", "built"),
    "join a shared list": ("{{ 'a' ~ ([[0] * 1000] * 1000) }}", "steps"),
    "string of a huge number": ("{{ (10 ** 4001)|string }}", "digits"),
    # growth across loops
    "doubling with ~": ("{% set ns = namespace(s='ab') %}{% for i in range(40) %}"
                        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}", "built"),
    "doubling with +": ("{% set ns = namespace(s='ab') %}{% for i in range(40) %}"
                        "{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s|length }}", "built"),
    "doubling a list": ("{% set ns = namespace(l=[0]) %}{% for i in range(40) %}"
                        "{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l|length }}", "built"),
    "doubling by nesting lists": (
        "{% set ns = namespace(a=[0], b=[0]) %}{% for i in range(60) %}"
        "{% set ns.a = [ns.a, ns.a] %}{% set ns.b = [ns.b, ns.b] %}{% endfor %}{{ ns.a == ns.b }}",
        "built"),
    "doubling by nesting dicts": ("{% set ns = namespace(a={}) %}{% for i in range(60) %}"
                                  "{% set ns.a = {'x': ns.a, 'y': ns.a} %}{% endfor %}", "built"),
    "doubling by dict()": ("{% set ns = namespace(a={}) %}{% for i in range(60) %}"
                           "{% set ns.a = dict(x=ns.a, y=ns.a) %}{% endfor %}", "built"),
    "doubling by namespace()": ("{% set ns = namespace(a=1) %}{% for i in range(60) %}"
                                "{% set ns.a = namespace(x=ns.a, y=ns.a) %}{% endfor %}", "steps"),
    "doubling by a captured block": (
        "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set s %}{{ ns.s }}{{ ns.s }}"
        "{% endset %}{% set ns.s = s %}{% endfor %}", "built"),
    "doubling by a macro": (
        "{% macro twice(s) %}{{ s }}{{ s }}{% endmacro %}{% set ns = namespace(s='ab') %}"
        "{% for i in range(40) %}{% set ns.s = twice(ns.s) %}{% endfor %}", "built"),
    "doubling by a filter block": (
        "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set s %}{% filter upper %}"
        "{{ ns.s }}{{ ns.s }}{% endfilter %}{% endset %}{% set ns.s = s %}{% endfor %}", "built"),
    # work without output
    "nested loops": ("{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}"
                     "{% endfor %}", "steps"),
    "a loop over a filter chain": ("{{ range(100000)|map('string')|select|list|length }}", "steps"),
    "a recursive macro": ("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", "depth"),
    "a macro calling itself twice": (
        "{% macro f(n) %}{{ f(n) }}{{ f(n) }}{% endmacro %}{{ f(1) }}", "depth"),
    "a shallow macro fanning out": (
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
        "{{ f(40) }}",
        "steps"),
    "a recursive loop": ("{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}", "depth"),
    "a recursive loop fanning out": (
        "{% for x in [1, 1] recursive %}{% if loop.depth < 40 %}{{ loop([1, 1]) }}{% endif %}"
        "{% endfor %}", "steps"),
    # output
    "long output": ("{% for i in range(100000) %}x{% endfor %}", "output"),
    "long output in big pieces": ("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}",
                                  "output"),
}


@pytest.mark.parametrize("source, limit", CONSTANT.values(), ids=CONSTANT.keys())
def test_a_template_over_a_limit_is_refused_quickly_naming_the_limit(source, limit):
    error = refused(source)
    # the CPU-time backstop may stop the slowest kinds of steps first on a slow or busy machine
    assert error.limit == limit or (limit == "steps" and error.limit == "seconds")
    assert isinstance(error, BlockError) and str(error).startswith("template limit: ")


@pytest.mark.parametrize("source, limit", CONSTANT.values(), ids=CONSTANT.keys())
def test_validation_reports_a_template_over_a_limit_without_computing_it(source, limit):
    started = time.process_time()
    compile_template(source)  # Jinja folds constants while compiling: nothing big is folded
    assert len(_ENV.compile(source, raw=True)) < 20 * len(source) + 5000
    assert template_error(source) == str(TemplateLimitError(limit))
    assert time.process_time() - started < QUICK_S


# Templates over a limit only with some data: refused at run time, not at validation.
WITH_DATA = {
    "repeat a variable": ("{{ vars.s * vars.n }}", {"s": "ab", "n": 10 ** 9}, "built"),
    "loops sized by a variable": (
        "{% for a in range(vars.n) %}{% for b in range(vars.n) %}{% endfor %}{% endfor %}",
        {"n": 99999}, "steps"),
    "a loop over a long text": ("{% for c in vars.s %}{% endfor %}", {"s": "x" * 10 ** 6}, "steps"),
    "filters over a long text": ("{{ vars.s|select('none')|list }}", {"s": "x" * 10 ** 6}, "steps"),
    "unique over a long text": ("{{ vars.s|unique|list }}", {"s": "x" * 10 ** 6}, "steps"),
    "a big number squared": ("{{ vars.x * vars.x }}", {"x": 10 ** 3000}, "digits"),
    "a variable printed many times": ("{% for i in range(100) %}{{ vars.s }}{% endfor %}",
                                      {"s": "x" * 1000}, "output"),
    "copies of a long text": ("{% for i in range(99990) %}{% if vars.s[1:] %}{% endif %}"
                              "{% endfor %}", {"s": "x" * 3_000_000}, "seconds"),
}


@pytest.mark.parametrize("source, data, limit", WITH_DATA.values(), ids=WITH_DATA.keys())
def test_a_template_over_a_limit_with_its_data_is_refused_at_run_time(source, data, limit):
    assert template_error(source) is None
    assert refused(source, {"vars": data}).limit == limit


def test_a_whole_expression_keeping_its_type_is_limited_as_well():
    with pytest.raises(TemplateLimitError) as caught:
        render_value("{{ vars.x * vars.x }}", {"vars": {"x": 10 ** 3000}})  # the fast path too
    assert caught.value.limit == "digits"
    with pytest.raises(TemplateLimitError):
        render_value("{{ [vars.l] * 1000000000 }}", {"vars": {"l": [1]}})
    assert render_value("{{ vars.x * 2 }}", {"vars": {"x": 10 ** 3000}}) == 2 * 10 ** 3000


def test_output_is_limited_exactly_and_while_rendering():
    assert len(render_text(f"{{{{ 'x' * {MAX_OUTPUT} }}}}", {})) == MAX_OUTPUT
    assert refused(f"{{{{ 'x' * {MAX_OUTPUT + 1} }}}}").limit == "output"
    # a whole `{{ expression }}` keeps its type: only what it builds is limited
    assert len(render_value(f"{{{{ 'x' * {MAX_OUTPUT + 1} }}}}", {})) == MAX_OUTPUT + 1
    assert len(render_value(f"{{{{ 'x' * {MAX_BUILT} }}}}", {})) == MAX_BUILT


def test_limits_leave_room_for_the_largest_range_and_deep_enough_macros():
    assert render_text("{% for i in range(99990) %}{% endfor %}done", {}) == "done"
    nested = "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{% else %}deep{% endif %}{% endmacro %}"
    assert render_text(nested + f"{{{{ f({MAX_DEPTH - 1}) }}}}", {}) == "deep"
    assert refused(nested + f"{{{{ f({MAX_DEPTH}) }}}}").limit == "depth"
    assert len(render_text("{{ (10 ** 3999)|string }}", {})) == 4000


def test_jinjas_own_range_limit_still_holds():
    with pytest.raises(BlockError, match="MAX_RANGE"):
        render_text("{{ range(1000000000)|list }}", {})


def test_a_template_syntax_error_and_deep_nesting_are_clear_errors_not_crashes():
    deep = "{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}"
    assert template_error(deep) == "template syntax error: the template nests too deeply"
    with pytest.raises(BlockError, match="nests too deeply"):
        render_text(deep, {})
    with pytest.raises(BlockError, match="nests too deeply"):
        render_value(deep, {})


def test_an_error_message_never_carries_a_huge_value():
    with pytest.raises(BlockError) as caught:
        render_text("{{ [1].index('x' * 100000) }}", {})  # Python quotes the whole value
    assert str(caught.value).startswith("template failed: ") and len(str(caught.value)) < 300


def test_lists_and_dicts_cannot_be_changed_in_place():
    data = {"vars": {"rows": [1, 2]}}
    for source in ("{{ vars.rows.append(3) }}", "{{ vars.rows.pop() }}", "{{ vars.update(x=1) }}",
                   "{% set l = [1] %}{{ l.extend(l) }}"):
        with pytest.raises(BlockError, match="unsafe"):
            render_text(source, data)
    assert data == {"vars": {"rows": [1, 2]}}


def test_checks_in_one_allowance_stay_quick_however_many_heavy_templates():
    heavy = ("{% for a in range(99999) %}{% for b in range(99999) %}{% set x = N %}{% endfor %}"
             "{% endfor %}")
    started = time.process_time()
    with shared_checks():  # no two templates alike: no verdict is kept from before
        verdicts = [template_error(heavy.replace("N", str(i))) for i in range(50)]
    assert time.process_time() - started < QUICK_S
    assert verdicts[0] == str(TemplateLimitError("steps"))
    assert verdicts[-1] is None  # the allowance ran out: left to run time, where limits hold
    assert template_error("{{ 'a' * 1000000000 }}") is not None  # outside: a full check again


def test_the_limit_error_survives_pickling_to_and_from_a_worker():
    error = pickle.loads(pickle.dumps(TemplateLimitError("steps")))
    assert error.limit == "steps" and str(error) == str(TemplateLimitError("steps"))
    assert str(MAX_STEPS) in str(error)


def test_a_config_with_a_template_over_a_limit_fails_as_a_block_error():
    config = ConfigTemplate({"text": "{% for i in range(vars.n) %}ab{% endfor %}", "n": 1})
    with pytest.raises(TemplateLimitError):
        config.render({"vars": {"n": 99999}}, lambda name: "")
    assert config.render({"vars": {"n": 2}}, lambda name: "")["text"] == "abab"


def test_a_session_takes_the_error_exit_and_nothing_huge_reaches_its_transcript(
        make_workspace, flow_doc):
    loops = "{% for a in range(vars.n) %}{% for b in range(vars.n) %}{% endfor %}{% endfor %}"
    root = make_workspace(flow_doc("limits", {
        "grow": {"type": "say", "config": {"text": "{{ vars.s * vars.n }}"},
                 "exits": {"next": "sorry", "error": "loop"}},
        "loop": {"type": "say", "config": {"text": loops},
                 "exits": {"next": "sorry", "error": "square"}},
        "square": {"type": "set", "config": {"values": {"vars.x": "{{ vars.x * vars.x }}"}},
                   "exits": {"next": "square", "error": "sorry"}},
        "sorry": {"type": "end", "config": {"text": "Sorry, that went wrong."}}},
        variables={"s": "ab", "n": 99999, "x": 10 ** 300}))
    events: list[dict] = []
    started = time.process_time()
    result = simulate(root / "flows" / "limits.json", channel="chat", emit=events.append)
    assert time.process_time() - started < QUICK_S
    assert [e["message"] for e in events if e["event"] == "error"] == [
        str(TemplateLimitError(limit)) for limit in ("output", "steps", "digits")]
    assert events[-2:] == [  # grow, loop, square four times, sorry
        {"event": "say", "block": "sorry", "text": "Sorry, that went wrong."},
        {"event": "end", "block": "sorry", "disposition": "completed", "steps": 7}]
    assert max(len(json.dumps(event)) for event in events) < 500
    assert result.vars["x"] == 10 ** 2400  # squared three times, refused the fourth


# Legitimate templates: the same text as Jinja's own sandbox makes.
JINJA = SandboxedEnvironment(undefined=ChainableUndefined, autoescape=False,
                             keep_trailing_newline=True)
SCOPE = {"vars": {
    "name": "Ada", "price": 12.5, "text": "Hello world, how are you today?",
    "rows": [{"name": "tea", "price": 3, "kind": "drink"},
             {"name": "cake", "price": 5, "kind": "food"},
             {"name": "soup", "price": 4, "kind": "food"}],
    "meta": {"b": 2, "a": 1}, "nested": [[1, [2]], [3]]}}
LEGIT = [
    "Hello {{ vars.name }}!",
    "{{ vars.name|upper }} [{{ vars.name|center(11) }}] {{ '%05.1f'|format(vars.price) }} "
    "{{ '{:>8}|{:.2f}'.format(vars.name, vars.price) }} {{ '{n}!'.format_map({'n': vars.name}) }}",
    "{% for it in vars.rows %}{{ loop.index }}. {{ it.name|title }} {{ '%.2f' % it.price }}\n"
    "{% endfor %}",
    "{{ vars.rows|map(attribute='name')|join(', ') }} {{ vars.rows|selectattr('price', 'gt', 3)"
    "|map(attribute='name')|list }} {{ vars.rows|sum(attribute='price') }}",
    "{% set ns = namespace(total=0, names=[], line='') %}{% for it in vars.rows %}"
    "{% set ns.total = ns.total + it.price %}{% set ns.names = ns.names + [it.name] %}"
    "{% set ns.line = ns.line ~ it.name ~ ';' %}{% endfor %}"
    "{{ ns.total }} {{ ns.names }} {{ ns.line }}",
    "{% macro item(x, sep='/') %}<{{ x }}{{ sep }}{{ caller() if caller else '' }}>{% endmacro %}"
    "{% for it in vars.rows %}{{ item(it.name) }}{% endfor %}{% call item('c') %}body{% endcall %}",
    "{{ (vars.rows|sort(attribute='price', reverse=true)|first).name }} "
    "{% for g in vars.rows|groupby('kind') %}{{ g.grouper }}={{ g.list|length }};{% endfor %}",
    "{{ {'a': 1, 'b': [1, 2]}|tojson }} {{ vars.meta|tojson(indent=2) }} {{ [1, 2, 3]|sum }} "
    "{{ 2 ** 10 }} {{ 'ab' * 3 }} {{ [1] * 3 }} {{ (1, 2) + (3,) }} {{ [1] + [2] }} {{ 7 % 3 }}",
    "{{ vars.text|wordwrap(10) }}|{{ vars.text|truncate(12) }}|{{ vars.text|replace('o', '0') }}|"
    "{{ vars.text|indent(2, true) }}|{{ vars.text|wordcount }}|{{ vars.text|title }}",
    "{% for row in vars.rows|map(attribute='name')|batch(2, '-') %}{{ row|join('+') }};{% endfor %}"
    "{% for col in vars.rows|map(attribute='price')|slice(2) %}{{ col }}{% endfor %}",
    "{% set x %}captured {{ vars.name }}{% endset %}{{ x|length }} "
    "{% filter upper %}{{ x }}{% endfilter %}",
    "{% for x in vars.nested recursive %}{% if x is iterable %}[{{ loop(x) }}]{% else %}{{ x }}"
    "{% endif %}{% endfor %}",
    "{{ vars.missing }}|{{ vars.missing.deeper }}|{{ vars.missing|default('none') }}|"
    "{% for x in vars.missing %}never{% else %}empty{% endfor %}",
    "{{ '%s and %s' % (vars.name, vars.price) }} {{ vars.name ~ '/' ~ vars.price ~ vars.rows[0] }} "
    "{{ ('x', 'y')|join }} {{ vars.meta|dictsort }} {{ vars.meta.items()|list }}",
    "{% set c = cycler('a', 'b') %}{{ c.next() }}{{ c.next() }} {{ range(3)|list }} {{ dict(a=1) }}"
    " {{ namespace(a=1).a }} {% set j = joiner('|') %}"
    "{% for i in range(3) %}{{ j() }}{{ i }}{% endfor %}",
    "{{ 'see https://example.com now'|urlize }} {{ 'a<b>c</b>'|striptags }} {{ '<x>'|e }} "
    "{{ {'a': 'b c'}|urlencode }} {{ {'id': 'x'}|xmlattr }} {{ vars.rows|pprint }}",
    "{{ vars.rows|map(attribute='price')|max }} "
    "{{ vars.rows|unique(attribute='kind')|list|length }}"
    " {{ [3, 1, 2]|sort|reverse|list }} {{ 'abc'|reverse }} {{ 12345|filesizeformat }} "
    "{{ 3.14159|round(2) }} {{ 2.5|round(0, 'floor') }} {{ '42'|int + 1 }} "
    "{{ vars.rows[1:]|length }} {{ vars.name[::-1] }} {{ 'a,b'.split(',') }} "
    "{{ 'x'.ljust(3, '.') }} {{ (255).to_bytes(2, 'big') }}",
    "{{ vars.rows|rejectattr('kind', 'eq', 'food')|list|count }} {{ vars.rows|map(attribute='kind')"
    "|unique|sort|list }} {{ vars.rows|min(attribute='price') }} {{ vars.rows|random is mapping }}",
    # the filters with checks of their own, called with keywords
    "{{ 2.567|round(1, method='ceil') }} {{ vars.text|indent(width=2, first=true, blank=true) }} "
    "{{ vars.text|wordwrap(width=10, break_long_words=false, wrapstring='/', "
    "break_on_hyphens=false) }} {{ vars.text|truncate(length=9, killwords=true, end='~', "
    "leeway=0) }} {{ 'ab'|center(width=6) }} {{ vars.rows|join(', ', attribute='name') }} "
    "{{ vars.rows|sum(attribute='price', start=10) }} "
    "{{ [1, 2, 3]|batch(linecount=2, fill_with=0)|list }} {{ vars.meta|tojson(indent=1) }} "
    "{{ vars.text|replace('o', '0', count=1) }} {{ '%(a)s-%(b)s'|format(a=1, b=2) }} "
    "{{ 'www.example.com'|urlize(trim_url_limit=8, nofollow=true, target='_blank', rel='x') }}",
]


@pytest.mark.parametrize("source", LEGIT)
def test_legitimate_templates_render_as_jinja_renders_them(source):
    assert template_error(source) is None
    assert render_text(source, SCOPE) == JINJA.from_string(source).render(SCOPE)


def test_a_whole_expression_keeps_its_type_as_before():
    expression = "{{ vars.rows|selectattr('price', 'gt', 3)|map(attribute='name')|list }}"
    assert render_value(expression, SCOPE) == ["cake", "soup"]
    value = render_value("{{ {'n': vars.price * 2, 'l': [1] * 2} }}", SCOPE)
    assert value == {"n": 25.0, "l": [1, 1]}
