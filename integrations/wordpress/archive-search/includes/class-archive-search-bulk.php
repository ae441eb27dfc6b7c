<?php
/**
 * "Send the whole archive": every public post, in batches through POST /api/v1/admin/articles.
 *
 * @package ArchiveSearch
 */

defined( 'ABSPATH' ) || exit;

/**
 * The ids to send are listed when the sending starts and kept in an option; each step sends the
 * next batch and removes it from the list, so the sending survives a closed page or a restart.
 * The settings page's script runs the steps one after the other and shows a progress bar; WP-Cron
 * carries on when the page is closed. A batch the service refuses (one bad article refuses the
 * whole batch) is sent again one article at a time, so that one bad post never holds the others
 * back; a service that is down is tried again later, as the queue is.
 */
class Archive_Search_Bulk {

	const OPTION    = 'archive_search_bulk';
	const CRON_HOOK = 'archive_search_bulk_step';
	const LOCK      = 'archive_search_bulk_lock';
	const BATCH     = 100;

	/**
	 * Hooks the step's cron event.
	 */
	public static function register() {
		add_action( self::CRON_HOOK, array( __CLASS__, 'step' ) );
	}

	/**
	 * The sending's state: ids left, how many sent and refused, when it started and ended, the
	 * last error ([] before the first sending).
	 *
	 * @return array
	 */
	public static function state() {
		wp_cache_delete( self::OPTION, 'options' );
		$state = get_option( self::OPTION, array() );
		return is_array( $state ) ? $state : array();
	}

	/**
	 * Starts (or restarts) the sending: lists the public posts' ids.
	 *
	 * @return array The state.
	 */
	public static function start() {
		$ids   = get_posts(
			array(
				'post_type'        => Archive_Search_Articles::post_types(),
				'post_status'      => 'publish',
				'has_password'     => false,
				'fields'           => 'ids',
				'orderby'          => 'ID',
				'order'            => 'ASC',
				'posts_per_page'   => -1,
				'suppress_filters' => true,
				'no_found_rows'    => true,
			)
		);
		$state = array(
			'left'        => array_map( 'intval', $ids ),
			'total'       => count( $ids ),
			'sent'        => 0,
			'refused'     => 0,
			'started_at'  => time(),
			'finished_at' => 0,
			'error'       => '',
		);
		update_option( self::OPTION, $state, false );
		wp_clear_scheduled_hook( self::CRON_HOOK );
		wp_schedule_single_event( time(), self::CRON_HOOK );
		return $state;
	}

	/**
	 * Sends the next batch (one step at a time across requests). The state after it.
	 *
	 * @return array
	 */
	public static function step() {
		$state = self::state();
		if ( empty( $state['left'] ) ) {
			return $state;
		}
		if ( get_transient( self::LOCK ) ) {
			return $state; // Another request is sending this batch.
		}
		set_transient( self::LOCK, 1, 2 * Archive_Search_Client::BATCH_TIMEOUT );

		$client   = new Archive_Search_Client();
		$ids      = array_slice( $state['left'], 0, max( 1, (int) apply_filters( 'archive_search_batch_size', self::BATCH ) ) );
		$articles = array();
		foreach ( $ids as $id ) {
			$post    = get_post( $id );
			$article = Archive_Search_Articles::is_public( $post ) ? Archive_Search_Articles::article( $post ) : null;
			if ( null !== $article ) {
				$articles[ $id ] = array( 'id' => (string) $id ) + $article;
			}
		}
		$result = $articles ? $client->batch( $articles ) : new Archive_Search_Result( Archive_Search_Result::SENT, '' );
		if ( Archive_Search_Result::REFUSED === $result->outcome ) {
			$result = self::one_by_one( $client, $articles, $state );
		}
		if ( Archive_Search_Result::RETRY === $result->outcome ) {
			// This batch is sent again later, in full: its counts stay as they were.
			$state          = self::state();
			$state['error'] = $result->message;
			update_option( self::OPTION, $state, false );
			delete_transient( self::LOCK );
			wp_clear_scheduled_hook( self::CRON_HOOK );
			wp_schedule_single_event( time() + Archive_Search_Queue::BACKOFF, self::CRON_HOOK );
			return $state;
		}
		if ( Archive_Search_Result::SENT === $result->outcome ) {
			$state['sent'] += count( $articles );
		}
		$state['left']  = array_slice( $state['left'], count( $ids ) );
		$state['error'] = '';
		if ( ! $state['left'] ) {
			$state['finished_at'] = time();
		}
		update_option( self::OPTION, $state, false );
		delete_transient( self::LOCK );
		wp_clear_scheduled_hook( self::CRON_HOOK );
		if ( $state['left'] ) {
			wp_schedule_single_event( time(), self::CRON_HOOK );
		}
		return $state;
	}

	/**
	 * A refused batch, sent one article at a time; counts what was sent and refused.
	 *
	 * @param Archive_Search_Client $client   The client.
	 * @param array                 $articles Post id => article.
	 * @param array                 $state    The sending's state (its counts are updated).
	 * @return Archive_Search_Result Sent, or the first failure that calls for a retry.
	 */
	private static function one_by_one( $client, array $articles, array &$state ) {
		foreach ( $articles as $id => $article ) {
			unset( $article['id'] );
			$result = $client->put( $id, $article );
			if ( Archive_Search_Result::RETRY === $result->outcome ) {
				return $result;
			}
			if ( Archive_Search_Result::SENT === $result->outcome ) {
				++$state['sent'];
			} else {
				++$state['refused'];
			}
		}
		return new Archive_Search_Result( Archive_Search_Result::REFUSED, '' );
	}

	/**
	 * Progress for the settings page: done, total, running, error.
	 *
	 * @return array
	 */
	public static function progress() {
		$state = self::state();
		if ( ! $state ) {
			return array(
				'started' => false,
			);
		}
		return array(
			'started'  => true,
			'done'     => $state['total'] - count( $state['left'] ),
			'total'    => $state['total'],
			'sent'     => $state['sent'],
			'refused'  => $state['refused'],
			'running'  => ! empty( $state['left'] ),
			'error'    => $state['error'],
			'finished' => $state['finished_at'],
		);
	}
}
