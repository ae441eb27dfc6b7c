<?php
/**
 * Plugin Name:       Archive Search
 * Description:       Sends your published posts and pages to an archive-search service as you publish, update, unpublish or delete them, and embeds its search box with a shortcode or a block.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      7.4
 * Author:            archive-search
 * License:           GPL-2.0-or-later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       archive-search
 *
 * @package ArchiveSearch
 */

defined( 'ABSPATH' ) || exit;

define( 'ARCHIVE_SEARCH_VERSION', '0.1.0' );
define( 'ARCHIVE_SEARCH_DIR', __DIR__ );

require_once __DIR__ . '/includes/class-archive-search-client.php';
require_once __DIR__ . '/includes/class-archive-search-articles.php';
require_once __DIR__ . '/includes/class-archive-search-queue.php';
require_once __DIR__ . '/includes/class-archive-search-bulk.php';
require_once __DIR__ . '/includes/class-archive-search-settings.php';
require_once __DIR__ . '/includes/class-archive-search-embed.php';

Archive_Search_Queue::register();
Archive_Search_Bulk::register();
Archive_Search_Embed::register();
if ( is_admin() ) {
	Archive_Search_Settings::register();
}

register_deactivation_hook( __FILE__, array( 'Archive_Search_Queue', 'deactivate' ) );
