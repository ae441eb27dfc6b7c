"""8. Hostile archives end to end: `archive-search index` in a child process (time and peak memory
measured with wait4), then search. Each hostile source is indexed beside a good one: bounded time
and memory, a clear per-record reason, and the rest indexed."""

from __future__ import annotations

import json
import sys

import pytest

from faultkit import articles, record, run_measured, sized
from archives import write_jsonl
from indexer.search import SearchRequest, get_article, search
from indexer.storage.store import IndexStore

MAX_SECONDS = 120
MAX_RSS_MB = 1500
SECRET = "SECRETXYZZY"

WXR_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
{doctype}
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Hostile</title>
"""
WXR_ITEM = """<item><title>{title}</title><link>https://example.org/{id}</link><dc:creator>alice</dc:creator>
<content:encoded><![CDATA[{html}]]></content:encoded>{extra}
<wp:post_id>{id}</wp:post_id><wp:post_date>2016-01-02 10:00:00</wp:post_date><wp:status>publish</wp:status>
<wp:post_type>post</wp:post_type></item>
"""
WXR_TAIL = "</channel></rss>\n"


def wxr(path, items, doctype="", raw_items=""):
    path.write_text(WXR_HEAD.format(doctype=doctype)
                    + "".join(WXR_ITEM.format(extra="", **i) for i in items) + raw_items + WXR_TAIL,
                    encoding="utf-8")
    return path


def good_items(prefix, n=3):
    return [{"id": f"{prefix}{i}", "title": f"Bon article {prefix} {i}",
             "html": f"<p>Le numérique et les entreprises, {prefix}bon{i}.</p>"} for i in range(n)]


def make_xxe(tmp):
    secret = tmp / "secret.txt"
    secret.write_text(SECRET)
    doctype = (f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}"> '
               '<!ENTITY remote SYSTEM "http://127.0.0.1:9/evil.dtd"> <!ENTITY % dtd SYSTEM "http://127.0.0.1:9/x.dtd"> %dtd;]>')
    raw = WXR_ITEM.format(id=900, title="XXE &xxe; &remote;", html="avant &xxe; après", extra="")
    return wxr(tmp / "xxe.xml", good_items("xxe"), doctype=doctype, raw_items=raw)


def make_external_dtd(tmp):
    doctype = '<!DOCTYPE rss SYSTEM "http://127.0.0.1:9/evil.dtd">'
    return wxr(tmp / "dtd.xml", good_items("dtd"), doctype=doctype)


def make_billion_laughs(tmp):
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10))
    raw = WXR_ITEM.format(id=901, title="Rires &lol9;", html="&lol9;", extra="")
    return wxr(tmp / "laughs.xml", good_items("lol"), doctype=f"<!DOCTYPE rss [{entities}]>", raw_items=raw)


def make_invalid_utf8(tmp):
    path = tmp / "bad-utf8.jsonl"
    good = [json.dumps(a, ensure_ascii=False).encode() for a in articles(3, prefix="utf")]
    bad = b'{"id": "bad1", "title": "Caf\xe9 \xff\xfe cass\xc3", "body": "des octets \x80\x81 invalides"}'
    path.write_bytes(b"\n".join([good[0], bad, good[1], b"\xff\xfe\xfd garbage line", good[2]]) + b"\n")
    return path


def make_cp1252_html(tmp):
    folder = tmp / "cp1252"
    folder.mkdir()
    (folder / "page.html").write_bytes(
        '<html><head><meta charset="windows-1252"><title>L’économie numérique</title></head><body>'
        '<nav>menu</nav><article><h1>L’économie numérique</h1><p>Les salariés “connectés” — œuvre, '
        'cœur et déjà-vu : cp1252qz.</p></article></body></html>'.encode("cp1252"))
    (folder / "sans-meta.html").write_bytes(
        "<html><body><article><h1>Sans déclaration</h1><p>Données éparses, cp1252sansmeta.</p></article></body></html>"
        .encode("cp1252"))
    return folder


def make_truncated(tmp):
    path = wxr(tmp / "truncated.xml", good_items("trunc", 5))
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.6)])
    return path


def make_huge_article(tmp, mb):
    path = tmp / "huge.jsonl"
    sentence = "Le numérique transforme les entreprises et les réseaux sociaux changent le travail. "
    body = sentence * (mb * 1024 * 1024 // len(sentence))
    with path.open("w", encoding="utf-8") as f:
        f.write(json.dumps({"id": "huge", "title": "Un article énorme", "body": body + " hugeqz"}, ensure_ascii=False) + "\n")
        for a in articles(3, prefix="besidehuge"):
            f.write(json.dumps(a, ensure_ascii=False) + "\n")
    return path


def make_many_tags(tmp):
    path = tmp / "tags.jsonl"
    many = {"id": "tags", "title": "Cent mille mots-clés", "body": "Un article tagsqz.",
            "tags": [f"mot-clé {i}" for i in range(100_000)], "categories": [f"rubrique {i}" for i in range(10_000)]}
    write_jsonl(path, [many, *articles(3, prefix="besidetags")])
    return path


def make_many_tags_wxr(tmp):
    cats = "".join(f'<category domain="post_tag" nicename="t{i}"><![CDATA[étiquette {i}]]></category>'
                   for i in range(100_000))
    raw = WXR_ITEM.format(id=902, title="Cent mille étiquettes", html="<p>wxrtagsqz</p>", extra=cats)
    return wxr(tmp / "tags.xml", good_items("wxrtags"), raw_items=raw)


def make_deep_html(tmp):
    folder = tmp / "deep"
    folder.mkdir()
    depth = 100_000
    (folder / "deep.html").write_text("<html><body><article><h1>Profond</h1>" + "<div>" * depth + "deepqz"
                                      + "</div>" * depth + "</article></body></html>", encoding="utf-8")
    (folder / "ok.html").write_text("<html><body><article><h1>Une page saine</h1><p>deepokqz numérique</p>"
                                    "</article></body></html>", encoding="utf-8")
    return folder


CASES = {
    # name: (maker, words that must be found, words that must not, expect the build to succeed)
    # A WordPress export never carries a DTD: one that does is refused whole, before any entity is read.
    "XXE (file and network entities)": (make_xxe, [], [], "DTD not allowed"),
    "external DTD": (make_external_dtd, [], [], "DTD not allowed"),
    "billion laughs": (make_billion_laughs, [], [], "DTD not allowed"),
    "invalid UTF-8": (make_invalid_utf8, ["id:utf0", "id:utf2"], [], True),
    "windows-1252 HTML": (make_cp1252_html, ["cp1252qz", "numérique économie", "cp1252sansmeta"], [], True),
    # A cut-off export must not replace a full index: refused whole (the reader's design).
    "truncated XML": (make_truncated, [], [], "breaks off"),
    "huge article": (None, ["hugeqz", "id:besidehuge1"], [], True),
    "100,000 tags (JSONL)": (make_many_tags, ["tagsqz", "id:besidetags2"], [], True),
    "100,000 tags (WXR)": (make_many_tags_wxr, ["wxrtagsqz", "wxrtagsbon1"], [], True),
    "deeply nested HTML": (make_deep_html, ["deepokqz"], [], True),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_archive_is_indexed_in_bounded_time_and_memory(tmp_path, case):
    maker, found, absent, succeeds = CASES[case]
    huge_mb = sized(10, 50)
    source = make_huge_article(tmp_path, huge_mb) if maker is None else maker(tmp_path)
    good = write_jsonl(tmp_path / "good.jsonl", articles(20, prefix="good"))
    index_dir = tmp_path / "index"
    status, out, err, seconds, rss = run_measured(
        [sys.executable, "-m", "indexer.cli", "index", str(source), str(good), "--index-dir", str(index_dir)],
        timeout=MAX_SECONDS + 30)
    label = f"{case} ({huge_mb} MB)" if maker is None else case
    skipped = [line.strip() for line in out.splitlines() if line.startswith("  ")]
    record("hostile_archives", **{label: {"seconds": round(seconds, 1), "peak_rss_mb": round(rss),
                                          "exit": status, "skipped": skipped[:3],
                                          "message": err.strip()[:300] if err else None}})
    assert seconds < MAX_SECONDS, f"{case}: {seconds:.0f} s"
    assert rss < MAX_RSS_MB, f"{case}: {rss:.0f} MB"
    assert "Traceback" not in err, err
    if succeeds is not True:
        assert status == 1 and err.count("\n") == 1 and succeeds in err, err
        assert not index_dir.exists() or not list(index_dir.glob("gen-*"))
        assert SECRET not in out + err
        return
    assert status == 0, err
    store = IndexStore(index_dir)
    assert all(get_article(store, f"good{i}") for i in range(20))  # the good source, indexed
    for word in found:
        if word.startswith("id:"):
            assert get_article(store, word[3:])["id"] == word[3:]
        else:
            assert search(store, SearchRequest(q=word))["total"] >= 1, f"{case}: {word!r} not found"
    for word in absent:
        assert search(store, SearchRequest(q=word))["total"] == 0, f"{case}: {word!r} leaked into the index"
