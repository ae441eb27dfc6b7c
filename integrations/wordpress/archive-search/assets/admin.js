/**
 * Settings page: while "send the whole archive" runs, sends its batches one after the other and
 * moves the progress bar. Without this script WP-Cron sends them, and a reload shows the progress.
 */
( function () {
	'use strict';
	var box = document.getElementById( 'archive-search-bulk' );
	var settings = window.archiveSearchAdmin;
	if ( ! box || ! settings || '1' !== box.getAttribute( 'data-running' ) ) {
		return;
	}
	var bar = box.querySelector( 'progress' );
	var count = box.querySelector( '.archive-search-bulk-count' );
	var error = box.querySelector( '.archive-search-bulk-error' );
	var failures = 0;

	function show( progress ) {
		bar.max = Math.max( 1, progress.total );
		bar.value = progress.done;
		count.textContent = progress.running ?
			settings.counted.replace( '%1$s', progress.done ).replace( '%2$s', progress.total ) :
			settings.done;
		error.textContent = progress.error || '';
	}

	function step() {
		var body = new URLSearchParams();
		body.set( 'action', 'archive_search_bulk_step' );
		body.set( '_ajax_nonce', settings.nonce );
		window.fetch( settings.ajaxUrl, { method: 'POST', credentials: 'same-origin', body: body } )
			.then( function ( response ) {
				return response.json();
			} )
			.then( function ( answer ) {
				if ( ! answer.success ) {
					throw new Error( 'refused' );
				}
				failures = 0;
				show( answer.data );
				if ( answer.data.running ) {
					// A batch the service did not take is tried again later, not at once.
					window.setTimeout( step, answer.data.error ? 30000 : 0 );
				}
			} )
			.catch( function () {
				failures += 1;
				window.setTimeout( step, Math.min( 60000, 2000 * failures ) );
			} );
	}
	step();
}() );
