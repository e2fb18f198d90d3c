"""HTML bodies to text: quotes from each forum engine, links, hostile markup."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groundswell.errors import RecordError
from groundswell.sources.html import MAX_TAGS, html_to_text


def spans(html: str) -> list[tuple[str, str | None, str | None]]:
    r = html_to_text(html)
    return [(r.text[q["start"] : q["end"]], q["quoted_id"], q["quoted_author"]) for q in r.quotes]


def test_phpbb_quote_with_cite_and_post_id() -> None:
    html = (
        '<blockquote><div><cite><a href="./memberlist.php?u=2">alice</a> wrote: '
        '<a href="./viewtopic.php?p=123#p123" data-post-id="123">↑</a></cite>'
        'Is the site down?</div></blockquote>No, it works. <a href="https://x.example/a.jpg">'
        "see</a><script>alert(1)</script>"
    )
    r = html_to_text(html)
    assert r.text == "alice wrote: ↑\nIs the site down?\nNo, it works. see"
    assert spans(html) == [("alice wrote: ↑\nIs the site down?", "123", "alice")]
    assert r.quoted_ids == ["123"] and "https://x.example/a.jpg" in r.links
    assert "alert" not in r.text


def test_xenforo_quote() -> None:
    html = (
        '<blockquote class="bbCodeBlock bbCodeBlock--expandable bbCodeBlock--quote" '
        'data-attributes="member: 12" data-quote="dave" data-source="post: 456">'
        '<div class="bbCodeBlock-title"><a href="/goto/post?id=456" '
        'class="bbCodeBlock-sourceJump">dave said:</a></div>'
        '<div class="bbCodeBlock-content"><div class="bbCodeBlock-expandContent">'
        'the quoted words</div><div class="bbCodeBlock-expandLink">'
        '<a role="button">Click to expand...</a></div></div></blockquote>My reply'
    )
    r = html_to_text(html)
    assert "Click to expand" not in r.text
    [(text, qid, author)] = spans(html)
    assert (qid, author) == ("456", "dave") and text.endswith("the quoted words")


def test_vbulletin_quote_counts_once() -> None:
    html = (
        '<div class="bbcode_container"><div class="bbcode_quote"><div class="quote_container">'
        '<div class="bbcode_quote_icon"></div><div class="bbcode_postedby">'
        'Originally Posted by <strong>erin</strong> <a href="showthread.php?p=789#post789">'
        '<img src="images/buttons/viewpost-right.png" alt="View Post"></a></div>'
        '<div class="message">old text</div></div></div></div>new text'
    )
    [(text, qid, author)] = spans(html)
    assert (qid, author) == ("789", "erin") and text.endswith("old text")


def test_imageboard_quote_links_and_greentext() -> None:
    r = html_to_text(
        '<a href="#p456" class="quotelink">&gt;&gt;456</a><br>'
        '<a href="/g/thread/1#p9" class="quotelink">&gt;&gt;&gt;/g/9</a><br>'
        '<span class="quote">&gt;implying</span><br>text'
    )
    assert r.quoted_ids == ["456"] and r.quotes == []
    assert r.text == ">>456\n>>>/g/9\n>implying\ntext"


def test_nested_quotes_stay_fast_and_tag_bombs_are_refused() -> None:
    html_to_text("<blockquote>" * 3000 + "deep" + "</blockquote>" * 3000)
    assert html_to_text("<div>" * 9000 + "x" + "</div>" * 9000).text == "x"
    with pytest.raises(RecordError, match="more than"):
        html_to_text("<b>" * (MAX_TAGS + 1))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>/ab&;=\"'blockquote divp\n疫情")), max_size=300))
def test_never_raises_and_spans_are_inside_the_text(html: str) -> None:
    try:
        r = html_to_text(html)
    except RecordError:
        return
    for q in r.quotes:
        assert 0 <= q["start"] <= q["end"] <= len(r.text)
