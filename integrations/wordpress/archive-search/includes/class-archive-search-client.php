<?php
/**
 * The archive-search service's document API, through WordPress's HTTP API.
 *
 * @package ArchiveSearch
 */

defined( 'ABSPATH' ) || exit;

/**
 * Talks to the service: one article (PUT), a deletion (DELETE), a batch (POST), a connection check.
 *
 * Every call answers an Archive_Search_Result: sent (2xx), refused for good (the service said the
 * article itself is wrong: sending it again would not help) or to retry (network, timeout, 5xx,
 * 429, a token the service refuses: trying later may succeed, so nothing is dropped).
 */
class Archive_Search_Client {

	const OPTION_URL   = 'archive_search_service_url';
	const OPTION_TOKEN = 'archive_search_token';

	/** Seconds for one article; a batch gets more. */
	const TIMEOUT       = 5;
	const BATCH_TIMEOUT = 30;

	/**
	 * The service's address, without a trailing slash ('' when not set).
	 *
	 * @return string
	 */
	public static function service_url() {
		return untrailingslashit( (string) get_option( self::OPTION_URL, '' ) );
	}

	/**
	 * Whether a service URL and a token are set.
	 *
	 * @return bool
	 */
	public static function configured() {
		return '' !== self::service_url() && '' !== (string) get_option( self::OPTION_TOKEN, '' );
	}

	/**
	 * Creates or replaces one article.
	 *
	 * @param int   $id      The post's id (the article's id).
	 * @param array $article The article's fields.
	 * @return Archive_Search_Result
	 */
	public function put( $id, array $article ) {
		return $this->send( 'PUT', '/api/v1/admin/articles/' . rawurlencode( (string) $id ), $article, self::TIMEOUT );
	}

	/**
	 * Removes one article (the service answers 202 for an id it does not hold too).
	 *
	 * @param int $id The post's id.
	 * @return Archive_Search_Result
	 */
	public function delete( $id ) {
		return $this->send( 'DELETE', '/api/v1/admin/articles/' . rawurlencode( (string) $id ), null, self::TIMEOUT );
	}

	/**
	 * Creates or replaces a batch of articles, all or nothing (each carries its `id`).
	 *
	 * @param array $articles The articles.
	 * @return Archive_Search_Result
	 */
	public function batch( array $articles ) {
		return $this->send( 'POST', '/api/v1/admin/articles', array_values( $articles ), self::BATCH_TIMEOUT );
	}

	/**
	 * Checks the service answers and accepts the token: what the "test the connection" button shows.
	 *
	 * @return array{ok: bool, message: string}
	 */
	public function check() {
		if ( '' === self::service_url() ) {
			return array(
				'ok'      => false,
				'message' => __( 'No service URL is set.', 'archive-search' ),
			);
		}
		$health = $this->request( 'GET', '/healthz', null, self::TIMEOUT, false );
		if ( is_wp_error( $health ) ) {
			return array(
				'ok'      => false,
				/* translators: %s: the network error. */
				'message' => sprintf( __( 'The service cannot be reached: %s', 'archive-search' ), $health->get_error_message() ),
			);
		}
		$status = (int) wp_remote_retrieve_response_code( $health );
		$body   = json_decode( wp_remote_retrieve_body( $health ), true );
		if ( ! in_array( $status, array( 200, 503 ), true ) || ! is_array( $body ) || ! isset( $body['articles'] ) ) {
			return array(
				'ok'      => false,
				/* translators: %d: an HTTP status code. */
				'message' => sprintf( __( 'This address does not answer like an archive-search service (HTTP %d on /healthz).', 'archive-search' ), $status ),
			);
		}
		$tasks = $this->request( 'GET', '/api/v1/admin/tasks?limit=1', null, self::TIMEOUT );
		$code  = is_wp_error( $tasks ) ? 0 : (int) wp_remote_retrieve_response_code( $tasks );
		if ( 200 !== $code ) {
			$reason = is_wp_error( $tasks ) ? $tasks->get_error_message() : self::error_message( $tasks );
			return array(
				'ok'      => false,
				/* translators: %s: why the service refused. */
				'message' => sprintf( __( 'The service answers, but refuses the admin token: %s', 'archive-search' ), $reason ),
			);
		}
		return array(
			'ok'      => true,
			/* translators: %s: the number of articles the service holds. */
			'message' => sprintf( __( 'Connected: the service answers, accepts the token and holds %s articles.', 'archive-search' ), number_format_i18n( (int) $body['articles'] ) ),
		);
	}

	/**
	 * One write, classified.
	 *
	 * @param string     $method  HTTP method.
	 * @param string     $path    Path below the service URL.
	 * @param array|null $body    JSON body.
	 * @param int        $timeout Seconds.
	 * @return Archive_Search_Result
	 */
	private function send( $method, $path, $body, $timeout ) {
		if ( ! self::configured() ) {
			return new Archive_Search_Result( Archive_Search_Result::RETRY, __( 'The service URL or the admin token is not set.', 'archive-search' ) );
		}
		$response = $this->request( $method, $path, $body, $timeout );
		if ( is_wp_error( $response ) ) {
			return new Archive_Search_Result( Archive_Search_Result::RETRY, $response->get_error_message() );
		}
		$status = (int) wp_remote_retrieve_response_code( $response );
		if ( $status >= 200 && $status < 300 ) {
			return new Archive_Search_Result( Archive_Search_Result::SENT, '' );
		}
		$message = sprintf( 'HTTP %d: %s', $status, self::error_message( $response ) );
		// Dropped only when the service itself says the article is wrong (400 with a field, 413 too
		// large), in its own JSON error: sending it again would change nothing. Anything else may
		// pass later: the service restarting (5xx), busy (429), a token or a URL being fixed
		// (401/403, or a 404 from whatever answers at a wrong address), a full disk (507).
		$body      = json_decode( wp_remote_retrieve_body( $response ), true );
		$permanent = in_array( $status, array( 400, 413 ), true ) && isset( $body['error']['code'] );
		return new Archive_Search_Result( $permanent ? Archive_Search_Result::REFUSED : Archive_Search_Result::RETRY, $message );
	}

	/**
	 * A request to the service.
	 *
	 * @param string     $method  HTTP method.
	 * @param string     $path    Path below the service URL.
	 * @param array|null $body    JSON body.
	 * @param int        $timeout Seconds.
	 * @param bool       $auth    Whether to send the admin token.
	 * @return array|WP_Error
	 */
	private function request( $method, $path, $body, $timeout, $auth = true ) {
		$headers = array( 'Accept' => 'application/json' );
		if ( $auth ) {
			$headers['Authorization'] = 'Bearer ' . get_option( self::OPTION_TOKEN, '' );
		}
		$args = array(
			'method'      => $method,
			'timeout'     => $timeout,
			'redirection' => 0,
			'headers'     => $headers,
			'user-agent'  => 'archive-search-wordpress/' . ARCHIVE_SEARCH_VERSION . '; ' . home_url( '/' ),
		);
		if ( null !== $body ) {
			$args['headers']['Content-Type'] = 'application/json; charset=utf-8';
			$args['body']                    = wp_json_encode( $body );
		}
		return wp_remote_request( self::service_url() . $path, $args );
	}

	/**
	 * The message of the service's JSON error, or the start of whatever it answered.
	 *
	 * @param array $response A response of wp_remote_request.
	 * @return string
	 */
	private static function error_message( $response ) {
		$raw  = wp_remote_retrieve_body( $response );
		$body = json_decode( $raw, true );
		if ( is_array( $body ) && isset( $body['error']['message'] ) ) {
			$param = isset( $body['error']['param'] ) ? ' (' . $body['error']['param'] . ')' : '';
			return $body['error']['message'] . $param;
		}
		$status = (int) wp_remote_retrieve_response_code( $response );
		$text = trim( wp_remote_retrieve_response_message( $response ) . ' ' . substr( wp_strip_all_tags( $raw ), 0, 80 ) );
		return '' !== $text ? $text : 'HTTP ' . $status;
	}
}

/**
 * What became of a write.
 */
class Archive_Search_Result {

	const SENT    = 'sent';
	const REFUSED = 'refused';
	const RETRY   = 'retry';

	/**
	 * One of the constants above.
	 *
	 * @var string
	 */
	public $outcome;

	/**
	 * Why, when it was not sent.
	 *
	 * @var string
	 */
	public $message;

	/**
	 * A result.
	 *
	 * @param string $outcome One of the constants above.
	 * @param string $message Why, when it was not sent.
	 */
	public function __construct( $outcome, $message ) {
		$this->outcome = $outcome;
		$this->message = $message;
	}
}
