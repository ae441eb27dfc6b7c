<?php
/**
 * The settings page: the service's URL and admin token, a connection test, the push's state and
 * the "send the whole archive" button.
 *
 * @package ArchiveSearch
 */

defined( 'ABSPATH' ) || exit;

/**
 * Settings → Archive search. Only users who may manage options see it or use its actions, and
 * every action carries a nonce.
 */
class Archive_Search_Settings {

	const PAGE       = 'archive-search';
	const GROUP      = 'archive_search';
	const CAPABILITY = 'manage_options';

	/**
	 * Hooks the page, the settings and the actions.
	 */
	public static function register() {
		add_action( 'admin_menu', array( __CLASS__, 'menu' ) );
		add_action( 'admin_init', array( __CLASS__, 'settings' ) );
		add_action( 'admin_post_archive_search_test', array( __CLASS__, 'test_connection' ) );
		add_action( 'admin_post_archive_search_send_all', array( __CLASS__, 'send_all' ) );
		add_action( 'wp_ajax_archive_search_bulk_step', array( __CLASS__, 'ajax_bulk_step' ) );
		add_action( 'admin_enqueue_scripts', array( __CLASS__, 'scripts' ) );
		add_filter( 'plugin_action_links_' . plugin_basename( ARCHIVE_SEARCH_DIR . '/archive-search.php' ), array( __CLASS__, 'action_links' ) );
	}

	/**
	 * The page under Settings.
	 */
	public static function menu() {
		add_options_page(
			__( 'Archive search', 'archive-search' ),
			__( 'Archive search', 'archive-search' ),
			self::CAPABILITY,
			self::PAGE,
			array( __CLASS__, 'render' )
		);
	}

	/**
	 * A "Settings" link on the plugins list.
	 *
	 * @param string[] $links The plugin's links.
	 * @return string[]
	 */
	public static function action_links( $links ) {
		$url = admin_url( 'options-general.php?page=' . self::PAGE );
		array_unshift( $links, '<a href="' . esc_url( $url ) . '">' . esc_html__( 'Settings', 'archive-search' ) . '</a>' );
		return $links;
	}

	/**
	 * The two settings, through the Settings API.
	 */
	public static function settings() {
		register_setting(
			self::GROUP,
			Archive_Search_Client::OPTION_URL,
			array(
				'type'              => 'string',
				'sanitize_callback' => array( __CLASS__, 'sanitize_url' ),
				'default'           => '',
			)
		);
		register_setting(
			self::GROUP,
			Archive_Search_Client::OPTION_TOKEN,
			array(
				'type'              => 'string',
				'sanitize_callback' => array( __CLASS__, 'sanitize_token' ),
				'default'           => '',
			)
		);
		add_settings_section( 'archive_search_service', __( 'Service', 'archive-search' ), '__return_false', self::PAGE );
		add_settings_field(
			Archive_Search_Client::OPTION_URL,
			__( 'Service URL', 'archive-search' ),
			array( __CLASS__, 'url_field' ),
			self::PAGE,
			'archive_search_service',
			array( 'label_for' => Archive_Search_Client::OPTION_URL )
		);
		add_settings_field(
			Archive_Search_Client::OPTION_TOKEN,
			__( 'Admin token', 'archive-search' ),
			array( __CLASS__, 'token_field' ),
			self::PAGE,
			'archive_search_service',
			array( 'label_for' => Archive_Search_Client::OPTION_TOKEN )
		);
	}

	/**
	 * An http(s) URL without a trailing slash; a bad one keeps the old value, with an error.
	 *
	 * @param string $value What was typed.
	 * @return string
	 */
	public static function sanitize_url( $value ) {
		$value = trim( (string) $value );
		if ( '' === $value ) {
			return '';
		}
		$url = esc_url_raw( $value, array( 'http', 'https' ) );
		if ( '' === $url || ! wp_parse_url( $url, PHP_URL_HOST ) ) {
			add_settings_error( Archive_Search_Client::OPTION_URL, 'bad_url', __( 'The service URL must be an http:// or https:// address.', 'archive-search' ) );
			return (string) get_option( Archive_Search_Client::OPTION_URL, '' );
		}
		return untrailingslashit( $url );
	}

	/**
	 * The token; an empty field keeps the saved one (the page never shows it back).
	 *
	 * @param string $value What was typed.
	 * @return string
	 */
	public static function sanitize_token( $value ) {
		$value = trim( (string) $value );
		return '' === $value ? (string) get_option( Archive_Search_Client::OPTION_TOKEN, '' ) : $value;
	}

	/**
	 * The URL field.
	 */
	public static function url_field() {
		printf(
			'<input type="url" class="regular-text code" id="%1$s" name="%1$s" value="%2$s" placeholder="https://search.example.org" />',
			esc_attr( Archive_Search_Client::OPTION_URL ),
			esc_attr( Archive_Search_Client::service_url() )
		);
		echo '<p class="description">' . esc_html__( 'The address of your archive-search service.', 'archive-search' ) . '</p>';
	}

	/**
	 * The token field: never filled in, so the token never shows in the page.
	 */
	public static function token_field() {
		$saved = '' !== (string) get_option( Archive_Search_Client::OPTION_TOKEN, '' );
		printf(
			'<input type="password" class="regular-text code" id="%1$s" name="%1$s" value="" autocomplete="new-password" placeholder="%2$s" />',
			esc_attr( Archive_Search_Client::OPTION_TOKEN ),
			esc_attr( $saved ? __( '(saved; type a new one to replace it)', 'archive-search' ) : '' )
		);
		echo '<p class="description">' . esc_html__( 'The service\'s ARCHIVE_SEARCH_ADMIN_TOKEN.', 'archive-search' ) . '</p>';
	}

	/**
	 * The bulk sending's script, on this page only.
	 *
	 * @param string $hook The admin page's hook.
	 */
	public static function scripts( $hook ) {
		if ( 'settings_page_' . self::PAGE !== $hook ) {
			return;
		}
		wp_enqueue_script( 'archive-search-admin', plugins_url( 'assets/admin.js', ARCHIVE_SEARCH_DIR . '/archive-search.php' ), array(), ARCHIVE_SEARCH_VERSION, true );
		wp_localize_script(
			'archive-search-admin',
			'archiveSearchAdmin',
			array(
				'ajaxUrl' => admin_url( 'admin-ajax.php' ),
				'nonce'   => wp_create_nonce( 'archive_search_bulk_step' ),
				/* translators: 1: articles done, 2: articles in all. */
				'counted' => __( '%1$s of %2$s', 'archive-search' ),
				'done'    => __( 'The whole archive was sent.', 'archive-search' ),
			)
		);
	}

	/**
	 * The page.
	 */
	public static function render() {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			return;
		}
		$test     = get_transient( self::test_key() );
		$status   = Archive_Search_Queue::status();
		$pending  = count( Archive_Search_Queue::queue() );
		$progress = Archive_Search_Bulk::progress();
		?>
		<div class="wrap">
			<h1><?php echo esc_html( get_admin_page_title() ); ?></h1>
			<p><?php esc_html_e( 'Published posts and pages are sent to your archive-search service as they are published, updated, unpublished or deleted. Drafts, pending, scheduled, private and password-protected posts never are.', 'archive-search' ); ?></p>
			<?php settings_errors( Archive_Search_Client::OPTION_URL ); ?>
			<?php if ( is_array( $test ) ) : ?>
				<div id="archive-search-test-result" class="notice <?php echo $test['ok'] ? 'notice-success' : 'notice-error'; ?>">
					<p><?php echo esc_html( $test['message'] ); ?></p>
				</div>
				<?php delete_transient( self::test_key() ); ?>
			<?php endif; ?>

			<form method="post" action="<?php echo esc_url( admin_url( 'options.php' ) ); ?>">
				<?php
				settings_fields( self::GROUP );
				do_settings_sections( self::PAGE );
				submit_button( __( 'Save', 'archive-search' ) );
				?>
			</form>

			<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>">
				<input type="hidden" name="action" value="archive_search_test" />
				<?php wp_nonce_field( 'archive_search_test' ); ?>
				<?php submit_button( __( 'Test the connection', 'archive-search' ), 'secondary', 'archive-search-test', false ); ?>
			</form>

			<h2><?php esc_html_e( 'Sending', 'archive-search' ); ?></h2>
			<table class="form-table" role="presentation">
				<tr>
					<th scope="row"><?php esc_html_e( 'Waiting to be sent', 'archive-search' ); ?></th>
					<td id="archive-search-pending">
						<?php
						/* translators: %s: a number of posts. */
						echo esc_html( sprintf( _n( '%s post', '%s posts', $pending, 'archive-search' ), number_format_i18n( $pending ) ) );
						if ( $pending && $status['next_try'] ) {
							/* translators: %s: a time span ("5 mins"). */
							echo ' — ' . esc_html( sprintf( __( 'next try in %s', 'archive-search' ), human_time_diff( time(), max( time(), $status['next_try'] ) ) ) );
						}
						?>
					</td>
				</tr>
				<?php if ( $status['last_error'] && $status['failures'] > 0 ) : ?>
				<tr>
					<th scope="row"><?php esc_html_e( 'Last error', 'archive-search' ); ?></th>
					<td><?php echo esc_html( $status['last_error'] ); ?></td>
				</tr>
				<?php endif; ?>
				<?php if ( $status['last_sent_at'] ) : ?>
				<tr>
					<th scope="row"><?php esc_html_e( 'Last sent', 'archive-search' ); ?></th>
					<td>
						<?php
						/* translators: %s: a time span ("5 mins"). */
						echo esc_html( sprintf( __( '%s ago', 'archive-search' ), human_time_diff( $status['last_sent_at'] ) ) );
						?>
					</td>
				</tr>
				<?php endif; ?>
				<?php foreach ( $status['refused'] as $refusal ) : ?>
				<tr>
					<th scope="row"><?php esc_html_e( 'Refused', 'archive-search' ); ?></th>
					<td>
						<a href="<?php echo esc_url( (string) get_edit_post_link( $refusal['id'] ) ); ?>">#<?php echo esc_html( $refusal['id'] ); ?></a>
						<?php echo esc_html( $refusal['message'] ); ?>
					</td>
				</tr>
				<?php endforeach; ?>
			</table>

			<h2><?php esc_html_e( 'Send the whole archive', 'archive-search' ); ?></h2>
			<p><?php esc_html_e( 'Sends every published post and page again, in batches: for a first setup, or after the service lost its index.', 'archive-search' ); ?></p>
			<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>">
				<input type="hidden" name="action" value="archive_search_send_all" />
				<?php wp_nonce_field( 'archive_search_send_all' ); ?>
				<?php submit_button( __( 'Send the whole archive', 'archive-search' ), 'secondary', 'archive-search-send-all', false, Archive_Search_Client::configured() ? array() : array( 'disabled' => 'disabled' ) ); ?>
			</form>
			<?php if ( $progress['started'] ) : ?>
			<p id="archive-search-bulk" data-running="<?php echo $progress['running'] ? '1' : '0'; ?>">
				<progress max="<?php echo esc_attr( max( 1, $progress['total'] ) ); ?>" value="<?php echo esc_attr( $progress['done'] ); ?>"></progress>
				<span class="archive-search-bulk-count"><?php echo esc_html( self::bulk_count( $progress ) ); ?></span>
				<span class="archive-search-bulk-error"><?php echo esc_html( $progress['error'] ); ?></span>
			</p>
			<?php endif; ?>

			<h2><?php esc_html_e( 'Search box', 'archive-search' ); ?></h2>
			<p>
				<?php
				printf(
					/* translators: 1: the shortcode, 2: the block's name. */
					esc_html__( 'Put %1$s in a post or a page, or add the %2$s block.', 'archive-search' ),
					'<code>[archive_search per_page="5" facets="tag,year"]</code>',
					'<strong>' . esc_html__( 'Archive search', 'archive-search' ) . '</strong>'
				);
				?>
			</p>
		</div>
		<?php
	}

	/**
	 * What the progress bar says.
	 *
	 * @param array $progress Archive_Search_Bulk::progress().
	 * @return string
	 */
	private static function bulk_count( array $progress ) {
		if ( ! $progress['running'] ) {
			return __( 'The whole archive was sent.', 'archive-search' );
		}
		/* translators: 1: articles done, 2: articles in all. */
		return sprintf( __( '%1$s of %2$s', 'archive-search' ), number_format_i18n( $progress['done'] ), number_format_i18n( $progress['total'] ) );
	}

	/**
	 * "Test the connection": checks, keeps the result for the page, goes back to it.
	 */
	public static function test_connection() {
		self::check_request( 'archive_search_test' );
		$client = new Archive_Search_Client();
		set_transient( self::test_key(), $client->check(), 5 * MINUTE_IN_SECONDS );
		wp_safe_redirect( admin_url( 'options-general.php?page=' . self::PAGE ) );
		exit;
	}

	/**
	 * "Send the whole archive": lists the ids, sends the first batch, goes back to the page (its
	 * script, or WP-Cron, sends the rest).
	 */
	public static function send_all() {
		self::check_request( 'archive_search_send_all' );
		Archive_Search_Bulk::start();
		Archive_Search_Bulk::step();
		wp_safe_redirect( admin_url( 'options-general.php?page=' . self::PAGE ) );
		exit;
	}

	/**
	 * One step of the sending, for the page's script; its progress as JSON.
	 */
	public static function ajax_bulk_step() {
		check_ajax_referer( 'archive_search_bulk_step' );
		if ( ! current_user_can( self::CAPABILITY ) ) {
			wp_send_json_error( null, 403 );
		}
		Archive_Search_Bulk::step();
		wp_send_json_success( Archive_Search_Bulk::progress() );
	}

	/**
	 * Dies unless the user may manage options and the nonce is right.
	 *
	 * @param string $action The nonce's action.
	 */
	private static function check_request( $action ) {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			wp_die( esc_html__( 'You are not allowed to change these settings.', 'archive-search' ), '', array( 'response' => 403 ) );
		}
		check_admin_referer( $action );
	}

	/**
	 * Where this user's connection test result waits for the page.
	 *
	 * @return string
	 */
	private static function test_key() {
		return 'archive_search_test_' . get_current_user_id();
	}
}
