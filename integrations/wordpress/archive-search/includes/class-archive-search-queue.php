<?php
/**
 * The push: a post's change noted in a queue, sent when the request ends, retried by WP-Cron.
 *
 * @package ArchiveSearch
 */

defined( 'ABSPATH' ) || exit;

/**
 * What happens when a post changes.
 *
 * 1. Its id goes into the queue, with the time it was noted, before anything is sent: from then
 *    on the change is not lost, whatever happens to the service. The queue is one option per
 *    post (autoloaded, so that one query lists them): two requests noting two posts at the same
 *    moment never write over each other's note, as they would in one shared option.
 * 2. At the end of the request the ids this request noted are sent. What is sent is the post's
 *    state at that moment, not the event: a public post is PUT, anything else (a draft, a
 *    private or password-protected post, the trash, a deleted post) is DELETEd. Sending twice
 *    is therefore harmless, and the last state always wins.
 * 3. An id leaves the queue once the service has it (2xx), or refused it for good (a 400: the
 *    article itself is wrong; noted on the settings page). Otherwise (service down, timeout,
 *    5xx, a refused token) it stays, and a WP-Cron event sends the whole queue again later,
 *    waiting 1, 2, 4... minutes between tries, at most an hour.
 */
class Archive_Search_Queue {

	/** One option per waiting post: `archive_search_pending_<id>` => when its change was noted. */
	const OPTION_PREFIX = 'archive_search_pending_';
	const OPTION_STATUS = 'archive_search_status';
	const CRON_HOOK     = 'archive_search_retry';

	/** Backoff between tries, in seconds: BACKOFF * 2^(failures - 1), at most MAX_BACKOFF. */
	const BACKOFF     = 60;
	const MAX_BACKOFF = 3600;

	/** A cron run sends at most this many, then comes back at once for the rest. */
	const CRON_BATCH = 200;

	/** Refusals kept for the settings page. */
	const KEEP_REFUSALS = 10;

	/**
	 * Ids this request noted, sent when it ends.
	 *
	 * @var int[]
	 */
	private static $noted = array();

	/**
	 * Hooks the post life cycle and the retry event.
	 */
	public static function register() {
		add_action( 'transition_post_status', array( __CLASS__, 'on_transition' ), 10, 3 );
		add_action( 'post_updated', array( __CLASS__, 'on_update' ), 10, 3 );
		add_action( 'before_delete_post', array( __CLASS__, 'on_delete' ), 10, 2 );
		add_action( self::CRON_HOOK, array( __CLASS__, 'retry' ) );
		// New settings (the page, WP-CLI): the service may answer now, so what waits is tried at once.
		foreach ( array( Archive_Search_Client::OPTION_URL, Archive_Search_Client::OPTION_TOKEN ) as $option ) {
			add_action( 'add_option_' . $option, array( __CLASS__, 'retry_now' ), 10, 0 );
			add_action( 'update_option_' . $option, array( __CLASS__, 'retry_now' ), 10, 0 );
		}
	}

	/**
	 * A post becoming public, or leaving `publish` (an update of a published post goes
	 * publish -> publish). A post that never was public is never sent, not even as a deletion.
	 *
	 * @param string  $new_status The new status.
	 * @param string  $old_status The old status.
	 * @param WP_Post $post       The post.
	 */
	public static function on_transition( $new_status, $old_status, $post ) {
		if ( 'publish' === $old_status ? Archive_Search_Articles::indexed_type( $post ) : Archive_Search_Articles::is_public( $post ) ) {
			self::note( $post->ID );
		}
	}

	/**
	 * A published post that gets a password, or loses one, without a change of status.
	 *
	 * @param int     $post_id The post's id.
	 * @param WP_Post $after   The post as saved.
	 * @param WP_Post $before  The post before.
	 */
	public static function on_update( $post_id, $after, $before ) {
		if ( Archive_Search_Articles::is_public( $after ) || Archive_Search_Articles::is_public( $before ) ) {
			self::note( $post_id );
		}
	}

	/**
	 * A post deleted for good; only a public one is in the index (a trashed one left it then).
	 *
	 * @param int     $post_id The post's id.
	 * @param WP_Post $post    The post.
	 */
	public static function on_delete( $post_id, $post = null ) {
		$post = $post instanceof WP_Post ? $post : get_post( $post_id );
		if ( Archive_Search_Articles::is_public( $post ) ) {
			self::note( $post_id );
		}
	}

	/**
	 * Notes a post's change in the queue and sends it when the request ends.
	 *
	 * @param int $post_id The post's id.
	 */
	public static function note( $post_id ) {
		$post_id = (int) $post_id;
		// A new stamp each time: a change noted while this id is being sent is not forgotten
		// when the sending ends (`forget` only drops the stamp it sent).
		update_option( self::OPTION_PREFIX . $post_id, sprintf( '%.6F', microtime( true ) ), true );
		if ( ! self::$noted ) {
			add_action( 'shutdown', array( __CLASS__, 'send_noted' ) );
		}
		self::$noted[ $post_id ] = true;
	}

	/**
	 * At the end of the request: sends what it noted, unless the service is in a backoff (then
	 * the scheduled retry sends it with the rest, and the editor does not wait on a timeout).
	 */
	public static function send_noted() {
		$ids         = array_keys( self::$noted );
		self::$noted = array();
		$status      = self::status();
		$backing_off = $status['failures'] > 0 && time() < $status['next_try'];
		if ( ! $ids || $backing_off || ! Archive_Search_Client::configured() ) {
			self::schedule_retry();
			return;
		}
		self::send( $ids );
	}

	/**
	 * The WP-Cron event: sends the whole queue.
	 */
	public static function retry() {
		$ids = array_keys( self::queue() );
		self::send( array_slice( $ids, 0, self::CRON_BATCH ) );
	}

	/**
	 * Sends the current state of each post, in order; stops at the first failure that calls for
	 * a retry (the service is down: the rest would fail the same way).
	 *
	 * @param int[] $ids Post ids.
	 * @return int How many were sent.
	 */
	public static function send( array $ids ) {
		$client = new Archive_Search_Client();
		$sent   = 0;
		foreach ( $ids as $id ) {
			$queue = self::queue();
			if ( ! isset( $queue[ $id ] ) ) {
				continue; // Sent meanwhile by another request.
			}
			$stamp   = $queue[ $id ];
			$post    = get_post( $id );
			$article = Archive_Search_Articles::is_public( $post ) ? Archive_Search_Articles::article( $post ) : null;
			$result  = null === $article ? $client->delete( $id ) : $client->put( $id, $article );
			if ( Archive_Search_Result::RETRY === $result->outcome ) {
				self::failed( $result->message );
				return $sent;
			}
			if ( Archive_Search_Result::REFUSED === $result->outcome ) {
				self::refused( $id, $result->message );
			}
			self::forget( $id, $stamp );
			++$sent;
		}
		self::succeeded();
		self::schedule_retry();
		return $sent;
	}

	/**
	 * The queue, oldest change first: post id => when its last change was noted. Read from the
	 * database, not from this request's cache, so that other requests' changes are seen.
	 *
	 * @return array<int, string>
	 */
	public static function queue() {
		wp_cache_delete( 'alloptions', 'options' );
		$queue = array();
		foreach ( wp_load_alloptions() as $name => $stamp ) {
			if ( 0 === strpos( $name, self::OPTION_PREFIX ) ) {
				$queue[ (int) substr( $name, strlen( self::OPTION_PREFIX ) ) ] = (string) $stamp;
			}
		}
		asort( $queue, SORT_STRING );
		return $queue;
	}

	/**
	 * The push's state, for the retry and the settings page.
	 *
	 * @return array{failures: int, next_try: int, last_error: string, last_error_at: int, last_sent_at: int, refused: array}
	 */
	public static function status() {
		wp_cache_delete( self::OPTION_STATUS, 'options' );
		$defaults = array(
			'failures'      => 0,
			'next_try'      => 0,
			'last_error'    => '',
			'last_error_at' => 0,
			'last_sent_at'  => 0,
			'refused'       => array(),
		);
		return array_merge( $defaults, (array) get_option( self::OPTION_STATUS, array() ) );
	}

	/**
	 * Removes an id from the queue if it was not noted again since `$stamp`.
	 *
	 * @param int    $id    Post id.
	 * @param string $stamp When the change that was sent had been noted.
	 */
	private static function forget( $id, $stamp ) {
		$queue = self::queue();
		if ( isset( $queue[ $id ] ) && $queue[ $id ] === $stamp ) {
			delete_option( self::OPTION_PREFIX . $id );
		}
	}

	/**
	 * A failure that calls for a retry: the next one waits twice as long as the last.
	 *
	 * @param string $message Why.
	 */
	private static function failed( $message ) {
		$status                  = self::status();
		$status['failures']      = $status['failures'] + 1;
		$status['next_try']      = time() + self::backoff( $status['failures'] );
		$status['last_error']    = $message;
		$status['last_error_at'] = time();
		update_option( self::OPTION_STATUS, $status, false );
		self::schedule_retry();
	}

	/**
	 * The service took a write: no more backoff.
	 */
	private static function succeeded() {
		$status = self::status();
		if ( $status['failures'] > 0 || $status['next_try'] > 0 ) {
			$status['failures'] = 0;
			$status['next_try'] = 0;
		}
		$status['last_sent_at'] = time();
		update_option( self::OPTION_STATUS, $status, false );
	}

	/**
	 * A post the service refused for good: noted for the settings page.
	 *
	 * @param int    $id      Post id.
	 * @param string $message Why.
	 */
	private static function refused( $id, $message ) {
		$status              = self::status();
		$status['refused'][] = array(
			'id'      => (int) $id,
			'message' => $message,
			'at'      => time(),
		);
		$status['refused']   = array_slice( $status['refused'], -self::KEEP_REFUSALS );
		update_option( self::OPTION_STATUS, $status, false );
	}

	/**
	 * Seconds to wait after `$failures` failures in a row.
	 *
	 * @param int $failures Failures in a row (1 or more).
	 * @return int
	 */
	public static function backoff( $failures ) {
		return (int) min( self::MAX_BACKOFF, self::BACKOFF * ( 2 ** max( 0, $failures - 1 ) ) );
	}

	/**
	 * One retry event while the queue holds anything: at the backoff's next try, or now. An
	 * event already scheduled stays (an early try is only a try: failing, it doubles the wait).
	 */
	public static function schedule_retry() {
		if ( ! self::queue() ) {
			wp_clear_scheduled_hook( self::CRON_HOOK );
			return;
		}
		if ( ! wp_next_scheduled( self::CRON_HOOK ) ) {
			$status = self::status();
			wp_schedule_single_event( max( time(), (int) $status['next_try'] ), self::CRON_HOOK );
		}
	}

	/**
	 * Tries the queue again now (the settings changed: the service may answer).
	 */
	public static function retry_now() {
		$status             = self::status();
		$status['failures'] = 0;
		$status['next_try'] = 0;
		update_option( self::OPTION_STATUS, $status, false );
		wp_clear_scheduled_hook( self::CRON_HOOK );
		self::schedule_retry();
	}

	/**
	 * On deactivation: no event left behind (the queue stays, and is sent once reactivated).
	 */
	public static function deactivate() {
		wp_clear_scheduled_hook( self::CRON_HOOK );
		wp_clear_scheduled_hook( Archive_Search_Bulk::CRON_HOOK );
	}
}
