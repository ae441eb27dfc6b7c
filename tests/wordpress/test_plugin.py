"""The WordPress plugin on a real WordPress, pushing to our real server (gunicorn, live index).

Posts are written with WordPress's own PHP API, so the plugin's hooks run as they do when an
editor saves. What the tests look at is our search API: a published post is searchable within
5 s, its edit and its removal follow, and nothing that is not public is ever sent.
"""

from __future__ import annotations

import concurrent.futures
import os
import subprocess
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

import faultkit
import wpsite

from searchkit import ADMIN_TOKEN, FRESH, article, hits, start_server, tasks, until, word

STATUS, RETRY = "archive_search_status", "archive_search_retry"


def waiting(wordpress) -> set[str]:
    """The ids of the posts whose change waits in the plugin's queue."""
    return set(wordpress.php("echo wp_json_encode( (object) Archive_Search_Queue::queue() );"))


@pytest.fixture(scope="module")
def service(tmp_path_factory, wordpress):
    """Our server, and the plugin pointed at it (the sample archive as the index's start)."""
    server = start_server(tmp_path_factory.mktemp("plugin-service"))
    wordpress.option("archive_search_service_url", server.base)
    wordpress.option("archive_search_token", ADMIN_TOKEN)
    yield server
    wordpress.option("archive_search_service_url", "")
    server.stop()


@pytest.fixture(autouse=True)
def configured(wordpress, service):
    """Each test starts with the plugin pointed at the service (a failed test may have changed it)."""
    wordpress.php("update_option( 'archive_search_service_url', $data[0] ); update_option( 'archive_search_token', $data[1] );",
                  [service.base, ADMIN_TOKEN])


def searchable(server, post_id, text) -> bool:
    return str(post_id) in hits(server, text)


def test_a_published_post_is_searchable_then_follows_its_edit_and_its_deletion(wordpress, service):
    first, second = word(), word()
    started = time.monotonic()
    post = wordpress.insert_post(f"Les archives {first}", f"<p>Un billet sur le mot {first}.</p>",
                                 tags=["archives", "essai"], categories=["Numérique"])
    saved = time.monotonic()
    assert until(lambda: searchable(service, post, first)), f"post {post} not searchable within {FRESH} s"
    faultkit.record("wordpress plugin: publish to searchable", wordpress_save_s=round(saved - started, 2),
                    save_to_searchable_s=round(time.monotonic() - started, 2))
    found = article(service, post)
    assert found["title"] == f"Les archives {first}"
    assert found["author"] == "Camille Admin"
    assert sorted(found["tags"]) == ["archives", "essai"] and found["categories"] == ["Numérique"]
    assert found["url"].startswith(wordpress.base + "/") and found["url"].endswith("/")

    wordpress.update_post(post, post_title=f"Les archives {second}", post_content=f"<p>Le mot {second}.</p>")
    assert until(lambda: searchable(service, post, second)), "the edit did not follow"
    assert not searchable(service, post, first)

    wordpress.delete_post(post)
    assert until(lambda: article(service, post) is None), "the deletion did not follow"
    assert not searchable(service, post, second)


@pytest.mark.parametrize("change", ["draft", "private", "password", "trash", "pending"])
def test_a_published_post_that_stops_being_public_leaves_the_index(wordpress, service, change):
    text = word()
    post = wordpress.insert_post(f"Billet {text}", f"<p>Texte {text}.</p>")
    assert until(lambda: searchable(service, post, text))
    if change == "trash":
        wordpress.trash_post(post)
    elif change == "password":
        wordpress.update_post(post, post_password="secret")
    else:
        wordpress.update_post(post, post_status=change)
    assert until(lambda: article(service, post) is None), f"a post made {change} stayed searchable"
    assert not searchable(service, post, text)


def test_posts_that_are_not_public_are_never_sent(wordpress, service):
    hidden = {}
    for status in ("draft", "pending", "private", "future"):
        text = word()
        extra = {"date": "2099-01-01 10:00:00"} if status == "future" else {}
        hidden[wordpress.insert_post(f"Caché {text}", f"<p>{text}</p>", status=status, **extra)] = text
    text = word()
    hidden[wordpress.insert_post(f"Protégé {text}", f"<p>{text}</p>", password="motdepasse")] = text
    text = word()
    draft = wordpress.insert_post(f"Brouillon {text}", f"<p>{text}</p>", status="draft")
    hidden[draft] = text
    wordpress.update_post(draft, post_content=f"<p>{text} corrigé</p>")  # a draft's edit
    wordpress.trash_post(draft)  # and its trip to the trash
    # A post published after all of them: once it is searchable, the writes before it are applied.
    marker = word()
    last = wordpress.insert_post(f"Témoin {marker}", f"<p>{marker}</p>")
    assert until(lambda: searchable(service, last, marker))
    for post, text in hidden.items():
        assert hits(service, text) == [], f"post {post} became searchable"
        assert article(service, post) is None
    sent = {i for task in tasks(service) for i in task.get("ids", [])}
    assert not sent & {str(p) for p in hidden}, "a post that was never public was sent"


def test_service_down_during_pushes_then_up_nothing_lost(wordpress, service, tmp_path):
    kept, edited, removed = word(), word(), word()
    before = wordpress.insert_post(f"Avant {removed}", f"<p>{removed}</p>")
    assert until(lambda: searchable(service, before, removed))
    port, index_dir = service.port, service.index_dir
    service.stop()
    try:
        new = wordpress.insert_post(f"Pendant {kept}", f"<p>{kept}</p>")
        changed = wordpress.insert_post(f"Pendant aussi {kept}", "<p>premier jet</p>")
        wordpress.update_post(changed, post_content=f"<p>{edited}</p>")
        wordpress.trash_post(before)

        queue = waiting(wordpress)
        assert {str(new), str(changed), str(before)} <= set(queue), queue
        status = wordpress.option(STATUS)
        assert status["failures"] >= 1 and "refused" in status["last_error"], status
        first_try = wordpress.scheduled(RETRY)
        # A retry is scheduled: at the backoff's next try, or earlier when an event of an earlier
        # outage was still pending (the plugin keeps it: an early try is only a try).
        assert first_try, "no retry scheduled"
        # A retry while the service is still down keeps everything and waits longer.
        assert wordpress.run_cron_event(RETRY)
        later = wordpress.option(STATUS)
        assert later["failures"] == status["failures"] + 1
        assert later["next_try"] - later["last_error_at"] > status["next_try"] - status["last_error_at"]
        assert waiting(wordpress) == queue
    finally:
        restarted = start_server(tmp_path, index_dir=index_dir, port=port)
    service.__dict__.update(restarted.__dict__)  # the module's server is the restarted one

    started = time.monotonic()
    assert wordpress.run_cron_event(RETRY), "the retry was not scheduled"
    assert until(lambda: searchable(service, new, kept) and searchable(service, changed, edited)), \
        "the posts written while the service was down did not arrive"
    assert until(lambda: article(service, before) is None), "the trash while down did not follow"
    faultkit.record("wordpress plugin: service down during pushes", changes_queued=len(queue),
                    first_error=status["last_error"], waits_s=[status["next_try"] - status["last_error_at"],
                                                           later["next_try"] - later["last_error_at"]],
                    cron_run_to_all_applied_s=round(time.monotonic() - started, 2))
    assert waiting(wordpress) == set()
    assert wordpress.option(STATUS)["failures"] == 0
    assert wordpress.scheduled(RETRY) is None


def test_two_editors_saving_at_once_while_the_service_is_down_lose_no_change(wordpress, service):
    """Each post's note is its own option: concurrent saves never write over each other's."""
    wordpress.option("archive_search_service_url", f"http://127.0.0.1:{wpsite.free_port()}")  # nothing there
    code = ("$ids = array(); foreach ( range( 1, 15 ) as $n ) { $ids[] = wp_insert_post( array( "
            "'post_title' => 'Concurrent ' . $n, 'post_content' => 'texte', 'post_status' => 'publish' ) ); } "
            "echo wp_json_encode( $ids );")
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        saved = [i for ids in pool.map(lambda _: wordpress.php(code), range(3)) for i in ids]
    assert len(saved) == 45
    assert {str(i) for i in saved} <= waiting(wordpress)
    wordpress.option("archive_search_service_url", service.base)
    assert wordpress.run_cron_event(RETRY)
    assert until(lambda: all(article(service, i) for i in saved[-3:]))


def test_a_post_the_service_refuses_is_reported_not_retried_and_a_wrong_url_loses_nothing(wordpress, service):
    # The service refuses a title over 2,000 characters (400, in its JSON error): dropped, reported.
    refused = wordpress.insert_post("Long " * 500, "<p>Un titre trop long.</p>")
    status = wordpress.option(STATUS)
    assert str(refused) not in waiting(wordpress)
    assert status["refused"][-1]["id"] == refused and "title" in status["refused"][-1]["message"]
    assert status["failures"] == 0
    wordpress.delete_post(refused)  # so that sending the whole archive later refuses nothing

    # A wrong service URL (whatever answers there says 404): kept and retried, never dropped.
    wordpress.option("archive_search_service_url", service.base + "/pas-le-service")
    text = word()
    post = wordpress.insert_post(f"Mauvaise adresse {text}", f"<p>{text}</p>")
    assert str(post) in waiting(wordpress)
    assert "HTTP 404" in wordpress.option(STATUS)["last_error"]
    wordpress.option("archive_search_service_url", service.base)  # fixed: the retry is due at once
    assert wordpress.scheduled(RETRY) <= time.time() + 1
    assert wordpress.run_cron_event(RETRY)
    assert until(lambda: searchable(service, post, text))


def test_send_the_whole_archive_in_batches(wordpress, service):
    """Posts published while the plugin had no service URL reach the index by the bulk sending."""
    wordpress.option("archive_search_service_url", "")
    texts = {}
    try:
        for _ in range(3):
            text = word()
            texts[wordpress.insert_post(f"Ancien {text}", f"<p>{text}</p>")] = text
        draft_text = word()
        draft = wordpress.insert_post(f"Jamais {draft_text}", f"<p>{draft_text}</p>", status="draft")
    finally:
        wordpress.option("archive_search_service_url", service.base)
    state = wordpress.php("""
        Archive_Search_Bulk::start();
        do { $state = Archive_Search_Bulk::step(); } while ( ! empty( $state['left'] ) && '' === $state['error'] );
        echo wp_json_encode( Archive_Search_Bulk::progress() );
    """)
    assert state["running"] is False and state["error"] == "" and state["done"] == state["total"] >= 3
    for post, text in texts.items():
        assert until(lambda: searchable(service, post, text)), f"post {post} did not arrive"
    assert article(service, draft) is None and hits(service, draft_text) == []


def test_the_shortcode_prints_the_embed_snippet(wordpress, service):
    html = wordpress.php("echo wp_json_encode( do_shortcode( '[archive_search per_page=\"7\" facets=\"tag, year,evil\"]' ) );")
    assert html == (f'<div data-archive-search data-endpoint="{service.base}" data-per-page="7" '
                    'data-facets="tag,year"></div>')
    page = wordpress.insert_post("Chercher", '<!-- wp:archive-search/search {"perPage":3} /-->')
    import urllib.request

    with urllib.request.urlopen(f"{wordpress.base}/?page_id={page}&p={page}") as answer:
        body = answer.read().decode()
    assert 'data-per-page="3"' in body, body
    assert f"src='{service.base}/embed.js'" in body or f'src="{service.base}/embed.js"' in body


# --- the settings page, in Debian's Chromium --------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[2]
# The README's screenshot is written again only on demand, so a test run leaves the repo as it was.
SCREENSHOTS = [ROOT / "tests" / "artifacts" / "wordpress-settings.png"] + (
    [ROOT / "docs" / "wordpress-settings.png"] if os.environ.get("ARCHIVE_SEARCH_UPDATE_SCREENSHOTS") else [])


@pytest.fixture
def admin_page(wordpress):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(wordpress.base + "/wp-login.php")
        page.fill("#user_login", wpsite.ADMIN_USER)
        page.fill("#user_pass", wpsite.ADMIN_PASSWORD)
        page.click("#wp-submit")
        page.wait_for_url("**/wp-admin/**")
        yield page
        browser.close()


@pytest.mark.browser
def test_the_settings_page_saves_and_tests_the_connection(wordpress, service, admin_page):
    page = admin_page
    wordpress.option("archive_search_token", "wrong-token")
    page.goto(wordpress.base + "/wp-admin/options-general.php?page=archive-search")
    expect(page.get_by_role("heading", name="Archive search")).to_be_visible()
    assert page.locator("#archive_search_token").input_value() == ""  # the token is never shown back

    page.click("#archive-search-test")
    expect(page.locator("#archive-search-test-result")).to_contain_text("refuses the admin token")

    page.fill("#archive_search_service_url", service.base + "/")
    page.fill("#archive_search_token", ADMIN_TOKEN)
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#setting-error-settings_updated")).to_be_visible()
    assert wordpress.option("archive_search_service_url") == service.base  # no trailing slash kept
    assert wordpress.option("archive_search_token") == ADMIN_TOKEN

    page.click("#archive-search-test")
    result = page.locator("#archive-search-test-result")
    expect(result).to_contain_text("Connected")
    assert "notice-success" in result.get_attribute("class")
    for path in SCREENSHOTS:
        path.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(path), full_page=True)

    # Saving with the token field left empty keeps the token.
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#setting-error-settings_updated")).to_be_visible()
    assert wordpress.option("archive_search_token") == ADMIN_TOKEN


# --- the plugin's code ---------------------------------------------------------------------------------

def test_the_plugin_is_valid_php_and_uses_wordpress_apis_only():
    files = sorted(wpsite.PLUGIN.rglob("*.php"))
    assert len(files) >= 8
    for path in files:
        lint = subprocess.run([wpsite.PHP, "-l", str(path)], capture_output=True, text=True)
        assert lint.returncode == 0, lint.stdout + lint.stderr
        code = path.read_text()
        assert code.startswith("<?php\n/**"), f"{path.name}: no file doc comment"
        # No hand-made HTTP or SQL: wp_remote_*, options and WP_Query do it.
        for forbidden in ("curl_", "fsockopen", "file_get_contents", "$wpdb", "mysqli", "stream_context"):
            assert forbidden not in code, f"{path.name} uses {forbidden}"
    header = (wpsite.PLUGIN / "archive-search.php").read_text()
    assert "License:           GPL-2.0-or-later" in header


def test_the_plugin_logged_no_php_error(wordpress):
    """WordPress's debug log (WP_DEBUG on) holds nothing from the plugin: no notice, warning or error."""
    log = wordpress.folder / "debug.log"
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    ours = ("/integrations/wordpress/archive-search/", "/plugins/archive-search/")
    assert [line for line in lines if any(path in line for path in ours)] == []


@pytest.mark.browser
def test_send_the_whole_archive_from_the_settings_page(wordpress, service, admin_page):
    """The button lists the public posts; the page's script sends the batches and moves the bar."""
    text = word()
    wordpress.option("archive_search_service_url", "")
    try:
        post = wordpress.insert_post(f"Oublié {text}", f"<p>{text}</p>")  # published while unconfigured
    finally:
        wordpress.option("archive_search_service_url", service.base)
    wordpress.option("archive_search_token", ADMIN_TOKEN)
    # Batches of 2 (through the plugin's filter, from a must-use plugin): the first is sent by the
    # button's request, the others by the page's script.
    small = wordpress.content / "mu-plugins" / "small-batches.php"
    small.parent.mkdir(exist_ok=True)
    small.write_text("<?php\nadd_filter( 'archive_search_batch_size', function () { return 2; } );\n")
    steps = []
    page = admin_page
    page.on("request", lambda r: steps.append(r) if "admin-ajax.php" in r.url else None)
    try:
        page.goto(wordpress.base + "/wp-admin/options-general.php?page=archive-search")
        page.click("#archive-search-send-all")
        expect(page.locator("#archive-search-bulk .archive-search-bulk-count")).to_have_text(
            "The whole archive was sent.", timeout=60_000)
    finally:
        small.unlink()
    assert len(steps) >= 2, "the page's script sent no batch"
    bar = page.locator("#archive-search-bulk progress")
    assert bar.get_attribute("value") == bar.get_attribute("max")
    assert until(lambda: searchable(service, post, text))
    progress = wordpress.php("echo wp_json_encode( Archive_Search_Bulk::progress() );")
    assert progress["done"] == progress["total"] and progress["refused"] == 0


@pytest.mark.browser
def test_the_block_is_offered_in_the_editor(wordpress, admin_page):
    page = admin_page
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(wordpress.base + "/wp-admin/post-new.php")
    page.wait_for_function("() => window.wp && window.wp.blocks && window.wp.blocks.getBlockTypes().length > 0",
                           timeout=60_000)
    block = page.evaluate("() => { const b = wp.blocks.getBlockType('archive-search/search');"
                          " return b && { title: b.title, perPage: b.attributes.perPage.default }; }")
    assert block == {"title": "Archive search", "perPage": 5}
    assert not [e for e in errors if "archive-search" in e], errors
