"""HTML in mail: read as text alone, and cleaned to harmless formatting before it is sent."""

from __future__ import annotations

from runtime.mail import clean_html, html_to_text, text_to_html


def test_html_reads_as_its_text_with_blocks_on_their_own_lines():
    source = ("<html><head><title>t</title><style>p{}</style></head><body>"
              "<div>Hello&nbsp;there,</div><p>my <b>card</b> is &lt;lost&gt;.</p>"
              "<ul><li>one</li><li>two</li></ul></body></html>")
    assert html_to_text(source) == "Hello there,\n\nmy card is <lost>.\n\none\n\ntwo"


def test_scripts_styles_and_comments_leave_no_text():
    source = "<script>var a = '<p>x</p>';</script><!-- hidden --><noscript>n</noscript>Hi"
    assert html_to_text(source) == "Hi"


def test_cleaning_keeps_formatting_and_drops_everything_active():
    dirty = ('<p onclick="x()" style="color:red">Hi <b>there</b></p>'
             '<script>alert(1)</script><iframe src="https://evil.test/"></iframe>'
             '<img src=x onerror=alert(1)><a href="javascript:alert(1)">a</a>'
             '<a href=" https://acme.test/help?a=1&b=2 ">help</a><form><input></form>')
    assert clean_html(dirty) == ('<p>Hi <b>there</b></p><a>a</a>'
                                 '<a href="https://acme.test/help?a=1&amp;b=2">help</a>')


def test_text_becomes_escaped_paragraphs():
    assert text_to_html("a < b\nc\n\n<i>d</i>") == "<p>a &lt; b<br>c</p><p>&lt;i&gt;d&lt;/i&gt;</p>"
