"""A real WordPress for the tests: Debian's `wordpress`, `mariadb-server` and `php`, started in a
temporary folder and stopped by PID.

- MariaDB: its own datadir and socket (never the system service), networking off, so it works
  as root in CI and never clashes with another run.
- WordPress: Debian's code in /usr/share/wordpress, read-only. The site's folder mirrors it with
  symlinks, but holds its own `wp-config.php` (Debian's reads /etc/wordpress/config-<host>.php:
  this way nothing is written outside the temporary folder) and its own `wp-content` (uploads, and
  the plugin under test linked from integrations/wordpress/).
- PHP's built-in server on 127.0.0.1:<free port>, through a router that plays the rewrite rules
  (pretty permalinks, /wp-json/) and sets ABSPATH to the site's folder.
- Posts are written with WordPress's own PHP API (`wp_insert_post`, `wp_update_post`,
  `wp_trash_post`, `wp_delete_post`) in a `php` subprocess: the plugin's hooks run as they would
  when an editor saves a post.

WP-Cron never starts by itself (DISABLE_WP_CRON): tests run its events when they decide to.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

WORDPRESS = Path("/usr/share/wordpress")
MARIADBD = "/usr/sbin/mariadbd"
INSTALL_DB = "/usr/bin/mariadb-install-db"
MARIADB = "/usr/bin/mariadb"
PHP = "/usr/bin/php"
PACKAGES = "wordpress mariadb-server php php-cli php-mysql php-xml"
ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "integrations" / "wordpress" / "archive-search"

ADMIN_USER = "admin"
ADMIN_PASSWORD = "wp-admin-password"
STARTUP = 60  # seconds for MariaDB or PHP's server to answer


def missing() -> str | None:
    """What is missing to run a WordPress here (None: nothing)."""
    for path in (WORDPRESS / "wp-settings.php", Path(MARIADBD), Path(INSTALL_DB), Path(MARIADB), Path(PHP)):
        if not path.exists():
            return f"{path} is missing (apt-get install {PACKAGES})"
    probe = subprocess.run([PHP, "-r", "echo extension_loaded('mysqli') ? 'yes' : 'no';"],
                           capture_output=True, text=True)
    if probe.stdout != "yes":
        return "PHP has no mysqli (apt-get install php-mysql)"
    probe = subprocess.run([PHP, "-r", "echo extension_loaded('simplexml') ? 'yes' : 'no';"],
                           capture_output=True, text=True)
    if probe.stdout != "yes":  # WordPress's sitemaps answer 501 without it
        return "PHP has no SimpleXML (apt-get install php-xml)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PhpError(AssertionError):
    """A PHP snippet failed: its output says why."""


class MariaDB:
    """A private MariaDB server: its own datadir and socket under `folder`, no TCP port."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.datadir = folder / "data"
        # A Unix socket path is limited to 107 bytes: keep it short, whatever the tmp folder.
        self.socket = Path(tempfile.mkdtemp(prefix="wpdb-")) / "mysql.sock"
        self.log = folder / "mariadb.log"
        self.process: subprocess.Popen | None = None

    def _user(self) -> list[str]:
        # mariadbd refuses to run as root unless told to (CI runs as root).
        return ["--user=root"] if os.geteuid() == 0 else []

    def start(self) -> "MariaDB":
        installed = subprocess.run(
            [INSTALL_DB, "--no-defaults", f"--datadir={self.datadir}", "--auth-root-authentication-method=normal",
             "--skip-test-db", "--skip-name-resolve", *self._user()],
            capture_output=True, text=True)
        if installed.returncode != 0:
            raise RuntimeError("mariadb-install-db failed:\n" + installed.stdout + installed.stderr)
        self.process = subprocess.Popen(
            [MARIADBD, "--no-defaults", f"--datadir={self.datadir}", f"--socket={self.socket}",
             f"--pid-file={self.folder / 'mariadb.pid'}", f"--log-error={self.log}", "--skip-networking",
             "--skip-log-bin", "--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M",
             # Durability is not what these tests are about; speed of a small site's writes is.
             "--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0", *self._user()],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + STARTUP
        while not self.socket.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("MariaDB did not start:\n" + self.log.read_text(errors="replace"))
            time.sleep(0.05)
        return self

    def sql(self, statement: str) -> str:
        done = subprocess.run([MARIADB, "--no-defaults", f"--socket={self.socket}", "-uroot", "-N", "-e", statement],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"SQL failed: {statement}\n{done.stderr}")
        return done.stdout

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.socket.parent, ignore_errors=True)


ROUTER = r"""<?php
// PHP's built-in server: static files as they are; PHP files, pretty permalinks and /wp-json/
// through WordPress (what Apache's rewrite rules do), with ABSPATH set to the site's own folder.
define( 'ABSPATH', __DIR__ . '/site/' );
$path = rawurldecode( parse_url( $_SERVER['REQUEST_URI'], PHP_URL_PATH ) );
$file = ABSPATH . ltrim( $path, '/' );
if ( is_dir( $file ) ) {
	$file = rtrim( $file, '/' ) . '/index.php';
}
if ( false !== strpos( $path, '..' ) || ! is_file( $file ) ) {
	$file = ABSPATH . 'index.php';
} elseif ( '.php' !== substr( $file, -4 ) ) {
	return false;
}
$_SERVER['SCRIPT_FILENAME'] = $file;
$_SERVER['SCRIPT_NAME']     = '/' . substr( $file, strlen( ABSPATH ) );
$_SERVER['PHP_SELF']        = $_SERVER['SCRIPT_NAME'];
chdir( dirname( $file ) );
require $file;
"""

CONFIG = """<?php
// The test site's own configuration (Debian's wp-config.php would read /etc/wordpress).
define( 'DB_NAME', 'wordpress' );
define( 'DB_USER', 'wordpress' );
define( 'DB_PASSWORD', 'wordpress' );
define( 'DB_HOST', 'localhost:{socket}' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
define( 'WP_CONTENT_DIR', '{content}' );
define( 'WP_CONTENT_URL', '{base}/wp-content' );
define( 'DISABLE_WP_CRON', true );
define( 'AUTOMATIC_UPDATER_DISABLED', true );
define( 'WP_AUTO_UPDATE_CORE', false );
define( 'WP_DEBUG', true );
define( 'WP_DEBUG_DISPLAY', false );
define( 'WP_DEBUG_LOG', '{folder}/debug.log' );
{keys}
$table_prefix = 'wp_';
if ( ! defined( 'ABSPATH' ) ) {{
	define( 'ABSPATH', __DIR__ . '/' );
}}
require_once ABSPATH . 'wp-settings.php';
"""

# Loads WordPress in a CLI process, as the admin user (so kses keeps the markup an editor may write).
BOOT = """<?php
define( 'ABSPATH', {site!r} . '/' );
$_SERVER['HTTP_HOST'] = {host!r};
$_SERVER['REQUEST_URI'] = '/';
if ( getenv( 'WP_INSTALLING' ) ) {{
	define( 'WP_INSTALLING', true );
	function wp_new_blog_notification() {{}} // no mail server here
}}
require ABSPATH . 'wp-load.php';
if ( ! getenv( 'WP_INSTALLING' ) ) {{
	wp_set_current_user( 1 );
}}
$data = json_decode( (string) file_get_contents( 'php://stdin' ), true );
"""


class WordPress:
    """A WordPress site on http://127.0.0.1:<port>/, with helpers to write posts through its PHP API."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.site = self.folder / "site"
        self.content = self.folder / "wp-content"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.db = MariaDB(self.folder)
        self.server: subprocess.Popen | None = None
        self.server_log = self.folder / "php-server.log"

    # --- life -------------------------------------------------------------------------------------------

    def start(self) -> "WordPress":
        started = time.monotonic()
        self.db.start()
        self.db.sql("CREATE DATABASE wordpress CHARACTER SET utf8mb4; "
                    "CREATE USER 'wordpress'@'localhost' IDENTIFIED BY 'wordpress'; "
                    "GRANT ALL ON wordpress.* TO 'wordpress'@'localhost';")
        self._lay_out()
        self.php(f"""
            require_once ABSPATH . 'wp-admin/includes/upgrade.php';
            wp_install( 'Le blog des essais', {ADMIN_USER!r}, 'admin@example.org', true, '', {ADMIN_PASSWORD!r} );
            update_option( 'siteurl', {self.base!r} );
            update_option( 'home', {self.base!r} );
            update_option( 'timezone_string', 'Europe/Paris' );
            global $wp_rewrite;
            $wp_rewrite->set_permalink_structure( '/%year%/%monthnum%/%postname%/' );
            flush_rewrite_rules( false );
            wp_update_user( array( 'ID' => 1, 'display_name' => 'Camille Admin' ) );
        """, installing=True)
        self.php("""
            require_once ABSPATH . 'wp-admin/includes/plugin.php';
            $result = activate_plugin( 'archive-search/archive-search.php' );
            if ( is_wp_error( $result ) ) { fwrite( STDERR, $result->get_error_message() ); exit( 1 ); }
        """)
        self._serve()
        self.startup_s = time.monotonic() - started
        return self

    def _lay_out(self) -> None:
        """The site's folder: Debian's WordPress linked entry by entry, our wp-config.php and wp-content."""
        self.site.mkdir(parents=True)
        for entry in WORDPRESS.iterdir():
            if entry.name not in ("wp-config.php", "wp-content"):
                (self.site / entry.name).symlink_to(entry)
        (self.content / "plugins").mkdir(parents=True)
        (self.content / "uploads").mkdir()
        (self.content / "themes").symlink_to(WORDPRESS / "wp-content" / "themes")
        (self.content / "plugins" / "archive-search").symlink_to(PLUGIN)
        (self.site / "wp-content").symlink_to(self.content)
        keys = "\n".join(f"define( '{name}', '{os.urandom(24).hex()}' );" for name in (
            "AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY",
            "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT"))
        (self.site / "wp-config.php").write_text(CONFIG.format(
            socket=self.db.socket, content=self.content, base=self.base, folder=self.folder, keys=keys))
        (self.folder / "router.php").write_text(ROUTER)
        (self.folder / "boot.php").write_text(BOOT.format(site=str(self.site), host=f"127.0.0.1:{self.port}"))

    def _serve(self) -> None:
        env = dict(os.environ, PHP_CLI_SERVER_WORKERS="4")
        self.server = subprocess.Popen(
            [PHP, "-S", f"127.0.0.1:{self.port}", "-t", str(self.site), str(self.folder / "router.php")],
            cwd=self.folder, stdout=self.server_log.open("ab"), stderr=subprocess.STDOUT, env=env,
            start_new_session=True)
        deadline = time.monotonic() + STARTUP
        while True:
            try:
                with urllib.request.urlopen(self.base + "/wp-json/", timeout=5) as answer:
                    if answer.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            if self.server.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("PHP's server did not start:\n" + self.server_log.read_text(errors="replace"))
            time.sleep(0.05)

    @contextlib.contextmanager
    def down(self):
        """The site down (PHP's server stopped, the database kept), then up again on its port."""
        self._stop_server()
        try:
            yield
        finally:
            self._serve()

    def stop(self) -> None:
        self._stop_server()
        self.db.stop()

    def _stop_server(self) -> None:
        if self.server and self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGTERM)  # its own group: the server and its workers
            try:
                self.server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
                self.server.wait()

    # --- PHP ----------------------------------------------------------------------------------------------

    def php(self, code: str, data=None, installing: bool = False):
        """Runs `code` with WordPress loaded (`$data`: `data` as JSON); what it `echo`es, parsed as
        JSON when it is. PhpError with the output when PHP fails or WordPress logs an error."""
        env = dict(os.environ)
        if installing:
            env["WP_INSTALLING"] = "1"
        done = subprocess.run(
            [PHP, "-d", "display_errors=stderr", "-d", "error_reporting=E_ALL & ~E_DEPRECATED",
             "-r", f"require {str(self.folder / 'boot.php')!r}; {code}"],
            input=json.dumps(data), capture_output=True, text=True, cwd=self.folder, env=env, timeout=120)
        if done.returncode != 0 or "Fatal error" in done.stderr or "Warning" in done.stderr:
            raise PhpError(f"PHP failed ({done.returncode}):\n{code}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}")
        out = done.stdout.strip()
        try:
            return json.loads(out) if out else None
        except ValueError:
            return out

    # --- posts through WordPress's own API ------------------------------------------------------------------

    def insert_post(self, title: str, content: str, status: str = "publish", post_type: str = "post",
                    tags: list[str] | None = None, categories: list[str] | None = None, password: str = "",
                    date: str | None = None, author: int = 1) -> int:
        """A new post (wp_insert_post); categories are created when missing. Its id."""
        fields = {"post_title": title, "post_content": content, "post_status": status, "post_type": post_type,
                  "post_password": password, "post_author": author, "tags_input": tags or []}
        if date:
            fields["post_date"] = date
        return self.php("""
            $ids = array();
            foreach ( $data['categories'] as $name ) {
                $term = term_exists( $name, 'category' ) ?: wp_insert_term( $name, 'category' );
                $ids[] = (int) $term['term_id'];
            }
            if ( $ids ) { $data['post']['post_category'] = $ids; }
            $id = wp_insert_post( wp_slash( $data['post'] ), true );
            if ( is_wp_error( $id ) ) { fwrite( STDERR, $id->get_error_message() ); exit( 1 ); }
            echo $id;
        """, {"post": fields, "categories": categories or []})

    def update_post(self, post_id: int, **fields) -> None:
        """wp_update_post with WordPress's own field names (post_title, post_content, post_status...)."""
        self.php("""
            $result = wp_update_post( wp_slash( $data ), true );
            if ( is_wp_error( $result ) ) { fwrite( STDERR, $result->get_error_message() ); exit( 1 ); }
        """, {"ID": post_id, **fields})

    def trash_post(self, post_id: int) -> None:
        self.php("if ( ! wp_trash_post( $data ) ) { exit( 1 ); }", post_id)

    def delete_post(self, post_id: int) -> None:
        """Deleted for good, without going through the trash."""
        self.php("if ( ! wp_delete_post( $data, true ) ) { exit( 1 ); }", post_id)

    def option(self, name: str, value=None):
        """Reads an option, or sets it when `value` is given."""
        if value is None:
            return self.php("echo wp_json_encode( get_option( $data ) );", name)
        self.php("update_option( $data[0], $data[1] );", [name, value])
        return value

    def scheduled(self, hook: str) -> int | None:
        """When the next event of `hook` is due (a Unix time), or None."""
        return self.php("echo wp_json_encode( wp_next_scheduled( $data ) ?: null );", hook)

    def run_cron_event(self, hook: str) -> bool:
        """Runs the scheduled event of `hook` now, as `wp cron event run` does: unscheduled, then its
        hook called with its arguments. False when none is scheduled."""
        return self.php("""
            $event = wp_get_scheduled_event( $data );
            if ( ! $event ) { echo 'false'; return; }
            wp_unschedule_event( $event->timestamp, $event->hook, $event->args );
            do_action_ref_array( $event->hook, $event->args );
            echo 'true';
        """, hook)
