<?php
/**
 * Uninstall: the plugin's options and events go (the service keeps its articles).
 *
 * @package ArchiveSearch
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

foreach ( array( 'archive_search_service_url', 'archive_search_token', 'archive_search_status', 'archive_search_bulk' ) as $archive_search_option ) {
	delete_option( $archive_search_option );
}
foreach ( array_keys( wp_load_alloptions() ) as $archive_search_option ) {
	if ( 0 === strpos( $archive_search_option, 'archive_search_pending_' ) ) {
		delete_option( $archive_search_option ); // A change still waiting to be sent.
	}
}
wp_clear_scheduled_hook( 'archive_search_retry' );
wp_clear_scheduled_hook( 'archive_search_bulk_step' );
