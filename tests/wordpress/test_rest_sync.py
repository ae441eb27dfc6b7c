"""A WordPress site as a URL source, read through its REST API, on the real WordPress.

The reader alone (what it yields, what it leaves out, what an incremental run fetches, the same
ids as the site's WXR export), then the sync through our real server: `serve --archive URL` and
the admin reindex, checked through the search API.
"""

from __future__ import annotations

import json
import time

import pytest

import faultkit
from indexer.article import Article
from indexer.sources import open_source
from indexer.sources.web.wordpress import WordPressReader
from indexer.sources.wxr import WxrReader
from searchkit import ADMIN_TOKEN, article, hits, start_server, word


@pytest.fixture(autouse=True)
def no_delay(monkeypatch):
    monkeypatch.setenv("ARCHIVE_SEARCH_HTTP_DELAY", "0")  # one local site: no need to space requests


def read(site, state_dir=None) -> tuple[WordPressReader, dict[str, Article]]:
    reader = open_source(site.base + "/", state_dir=state_dir)
    assert isinstance(reader, WordPressReader)
    articles = {}
    for record in reader:
        assert isinstance(record, Article), record
        articles[record.id] = record
    return reader, articles


def test_published_posts_and_pages_with_their_names_and_nothing_else(wordpress):
    text = word()
    post = wordpress.insert_post(f"Publié {text}", f"<p>Le texte {text}.</p><script>alert(1)</script>",
                                 tags=["Vie privée", "données"], categories=["Numérique"])
    page = wordpress.insert_post(f"Page {text}", f"<p>Une page {text}.</p>", post_type="page")
    hidden = {status: wordpress.insert_post(f"Caché {text}", f"<p>{text}</p>", status=status)
              for status in ("draft", "pending", "private")}
    hidden["future"] = wordpress.insert_post(f"Futur {text}", f"<p>{text}</p>", status="future",
                                             date="2099-01-01 10:00:00")
    hidden["password"] = wordpress.insert_post(f"Protégé {text}", f"<p>{text}</p>", password="secret")
    hidden["trash"] = wordpress.insert_post(f"Jeté {text}", f"<p>{text}</p>")
    wordpress.trash_post(hidden["trash"])

    reader, articles = read(wordpress)
    found = articles[str(post)]
    assert found.title == f"Publié {text}"
    assert found.body == f"Le texte {text}."  # the rendered content, scripts left out
    assert sorted(found.tags) == ["Vie privée", "données"] and found.categories == ["Numérique"]
    assert found.author == "Camille Admin"
    assert found.url.startswith(wordpress.base + "/") and found.date
    assert articles[str(page)].title == f"Page {text}"
    for why, post_id in hidden.items():
        assert str(post_id) not in articles, f"a {why} post was read"
    assert not any(text in a.body for a in articles.values() if a.id not in (str(post), str(page)))
    assert reader.excluded["password-protected"] >= 1


def test_the_same_ids_as_the_sites_wxr_export(wordpress, tmp_path):
    text = word()
    wordpress.insert_post(f"Exporté {text}", f"<p>{text}</p>", tags=["export"], categories=["Archives"])
    export = tmp_path / "export.xml"
    export.write_text(wordpress.php("""
        require_once ABSPATH . 'wp-admin/includes/export.php';
        ob_start();
        export_wp( array( 'content' => 'all' ) );
        echo wp_json_encode( ob_get_clean() );
    """))
    from_wxr = {a.id: a for a in WxrReader(str(export)) if isinstance(a, Article)}
    _, from_rest = read(wordpress)
    assert set(from_wxr) == set(from_rest)
    for article_id, exported in from_wxr.items():
        live = from_rest[article_id]
        assert (live.url, live.date, live.author, sorted(live.tags), sorted(live.categories)) == \
            (exported.url, exported.date, exported.author, sorted(exported.tags), sorted(exported.categories))


def test_an_incremental_run_fetches_what_changed_and_notices_removals(wordpress, tmp_path):
    state = tmp_path / "state"
    first, edited, removed, unpublished = (wordpress.insert_post(f"Billet {word()}", "<p>texte</p>") for _ in range(4))
    time.sleep(1.1)  # read after the second of their last save (a read within it is not trusted)
    reader, before = read(wordpress, state)
    assert reader.fetched == len(before) + sum(reader.excluded.values())  # all read in full

    reader, again = read(wordpress, state)
    assert reader.fetched == 0 and again.keys() == before.keys()  # nothing changed: nothing fetched

    new_title = f"Modifié {word()}"
    wordpress.update_post(edited, post_title=new_title)
    wordpress.delete_post(removed)
    wordpress.update_post(unpublished, post_status="draft")
    reader, after = read(wordpress, state)
    assert reader.fetched == 1, "only the edited post is fetched again"
    assert after[str(edited)].title == new_title
    assert str(removed) not in after and str(unpublished) not in after
    assert str(first) in after


def test_sync_through_the_server_follows_publication_edit_and_deletion(wordpress, tmp_path):
    text, edited = word(), word()
    post = wordpress.insert_post(f"Synchronisé {text}", f"<p>{text}</p>")
    draft = wordpress.insert_post(f"Brouillon {text}", f"<p>{text}</p>", status="draft")
    protected = wordpress.insert_post(f"Protégé {text}", f"<p>{text}</p>", password="secret")
    server = start_server(tmp_path, archive=[wordpress.base + "/"])
    try:
        assert hits(server, text) == [str(post)]

        def reindex() -> dict:
            status, _, body = server.post("/api/v1/admin/reindex", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
            assert status == 202, body
            return faultkit.wait_job(server.index_dir)

        wordpress.update_post(post, post_content=f"<p>{edited}</p>")
        wordpress.update_post(draft, post_status="pending")
        assert reindex()["state"] == "done"
        assert hits(server, edited) == [str(post)] and hits(server, text) == [str(post)]  # title kept the word
        assert article(server, draft) is None and article(server, protected) is None

        # WordPress down during a sync: the job fails with a one-line reason, the index is kept.
        with wordpress.down():
            job = reindex()
        assert job["state"] == "failed"
        reason = " ".join(job["errors"])
        assert "cannot connect" in reason and "\n" not in reason
        faultkit.record("wordpress sync: site down", job_error=reason)
        assert hits(server, edited) == [str(post)]

        wordpress.trash_post(post)
        assert reindex()["state"] == "done"
        assert hits(server, edited) == [] and article(server, post) is None
    finally:
        server.stop()


def test_index_command_reads_a_wordpress_site(wordpress, tmp_path):
    text = word()
    post = wordpress.insert_post(f"Commande {text}", f"<p>{text}</p>")
    index_dir = tmp_path / "index"
    done = faultkit.cli("index", wordpress.base + "/", "--index-dir", index_dir, "--quiet",
                        env=faultkit.clean_env(ARCHIVE_SEARCH_HTTP_DELAY=0))
    out, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    found = faultkit.cli("search", text, "--index-dir", index_dir, "--json")
    out, err = found.communicate(timeout=120)
    assert [r["id"] for r in json.loads(out)["results"]] == [str(post)]
    assert (index_dir / "web-wordpress.sqlite").exists()
