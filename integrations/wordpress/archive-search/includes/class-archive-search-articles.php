<?php
/**
 * Which posts are searchable, and the article the service is sent for one.
 *
 * @package ArchiveSearch
 */

defined( 'ABSPATH' ) || exit;

/**
 * A post becomes an article of the service when, and only when, anyone may read it: published,
 * without a password, of a post type that is indexed. Its article id is the post's id, the id
 * its WordPress export (WXR) and the REST API give, so a site moving from an export to the
 * plugin keeps every id.
 */
class Archive_Search_Articles {

	/**
	 * The post types sent (the `archive_search_post_types` filter changes them).
	 *
	 * @return string[]
	 */
	public static function post_types() {
		return (array) apply_filters( 'archive_search_post_types', array( 'post', 'page' ) );
	}

	/**
	 * Whether `$post` is of a post type that is sent.
	 *
	 * @param WP_Post $post A post.
	 * @return bool
	 */
	public static function indexed_type( $post ) {
		return $post instanceof WP_Post && in_array( $post->post_type, self::post_types(), true );
	}

	/**
	 * Whether anyone may read `$post`: drafts, pending, scheduled, private, trashed and
	 * password-protected posts never are.
	 *
	 * @param WP_Post|null $post A post, or null when it no longer exists.
	 * @return bool
	 */
	public static function is_public( $post ) {
		return self::indexed_type( $post )
			&& 'publish' === $post->post_status
			&& '' === (string) $post->post_password;
	}

	/**
	 * The article of a public post: title, body (the rendered content), url, date, author, tags,
	 * categories. Null when the post holds no text at all (the service refuses an empty article:
	 * it is then removed instead).
	 *
	 * @param WP_Post $post A public post.
	 * @return array|null
	 */
	public static function article( WP_Post $post ) {
		// The content's filters (blocks, shortcodes, wpautop) expect the post as the global one.
		$previous        = isset( $GLOBALS['post'] ) ? $GLOBALS['post'] : null;
		$GLOBALS['post'] = $post; // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited
		setup_postdata( $post );
		$body  = apply_filters( 'the_content', $post->post_content ); // phpcs:ignore WordPress.NamingConventions.PrefixAllGlobals.NonPrefixedHooknameFound -- WordPress's own filter.
		$title = get_the_title( $post );
		$GLOBALS['post'] = $previous; // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited
		if ( $previous instanceof WP_Post ) {
			setup_postdata( $previous );
		}

		if ( '' === trim( wp_strip_all_tags( $title . $body ) ) ) {
			return null;
		}
		$author = get_the_author_meta( 'display_name', (int) $post->post_author );
		return array(
			'title'      => html_entity_decode( $title, ENT_QUOTES, 'UTF-8' ),
			'body'       => (string) $body,
			'url'        => (string) get_permalink( $post ),
			'date'       => (string) $post->post_date,
			'author'     => (string) $author,
			'tags'       => self::term_names( $post, 'post_tag' ),
			'categories' => self::term_names( $post, 'category' ),
		);
	}

	/**
	 * The names of a post's terms in a taxonomy ([] when the post type has none).
	 *
	 * @param WP_Post $post     A post.
	 * @param string  $taxonomy A taxonomy.
	 * @return string[]
	 */
	private static function term_names( WP_Post $post, $taxonomy ) {
		if ( ! is_object_in_taxonomy( $post->post_type, $taxonomy ) ) {
			return array();
		}
		$terms = get_the_terms( $post, $taxonomy );
		if ( ! is_array( $terms ) ) {
			return array();
		}
		return array_values(
			array_map(
				static function ( $term ) {
					return html_entity_decode( $term->name, ENT_QUOTES, 'UTF-8' );
				},
				$terms
			)
		);
	}
}
