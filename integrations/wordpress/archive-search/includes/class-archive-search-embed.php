<?php
/**
 * The search box on the site: a shortcode and a block printing the service's embed snippet.
 *
 * @package ArchiveSearch
 */

defined( 'ABSPATH' ) || exit;

/**
 * `[archive_search per_page="5" facets="tag,year"]` and the "Archive search" block print the
 * widget's element; the service's embed.js is enqueued in the footer and fills it (in a Shadow
 * DOM, reading the service's search API).
 */
class Archive_Search_Embed {

	const SHORTCODE = 'archive_search';
	const FACETS    = array( 'tag', 'category', 'source', 'year', 'author' );

	/**
	 * Hooks the shortcode and the block.
	 */
	public static function register() {
		add_shortcode( self::SHORTCODE, array( __CLASS__, 'shortcode' ) );
		add_action( 'init', array( __CLASS__, 'block' ) );
	}

	/**
	 * The block, from its block.json; rendered on the server by the shortcode's code.
	 */
	public static function block() {
		register_block_type(
			ARCHIVE_SEARCH_DIR . '/blocks/search',
			array(
				'render_callback' => static function ( $attributes ) {
					return self::snippet(
						isset( $attributes['perPage'] ) ? $attributes['perPage'] : 5,
						isset( $attributes['facets'] ) ? $attributes['facets'] : 'tag,year'
					);
				},
			)
		);
	}

	/**
	 * The shortcode.
	 *
	 * @param array|string $atts The shortcode's attributes.
	 * @return string
	 */
	public static function shortcode( $atts ) {
		$atts = shortcode_atts(
			array(
				'per_page' => 5,
				'facets'   => 'tag,year',
			),
			$atts,
			self::SHORTCODE
		);
		return self::snippet( $atts['per_page'], $atts['facets'] );
	}

	/**
	 * The widget's element, with embed.js enqueued; '' when no service URL is set.
	 *
	 * @param int|string $per_page Results per page (1 to 50).
	 * @param string     $facets   Facets, separated by commas.
	 * @return string
	 */
	public static function snippet( $per_page, $facets ) {
		$service = Archive_Search_Client::service_url();
		if ( '' === $service ) {
			return '';
		}
		$per_page = min( 50, max( 1, absint( $per_page ) ) );
		$facets   = array_intersect( array_map( 'trim', explode( ',', strtolower( (string) $facets ) ) ), self::FACETS );
		wp_enqueue_script( 'archive-search-embed', $service . '/embed.js', array(), null, true ); // phpcs:ignore WordPress.WP.EnqueuedResourceParameters.MissingVersion -- the service versions its own script.
		return sprintf(
			'<div data-archive-search data-endpoint="%1$s" data-per-page="%2$d" data-facets="%3$s"></div>',
			esc_url( $service ),
			$per_page,
			esc_attr( implode( ',', $facets ) )
		);
	}
}
