<?php
/**
 * The editor script's dependencies (written by hand: the plugin has no build step).
 *
 * @package ArchiveSearch
 */

return array(
	'dependencies' => array( 'wp-blocks', 'wp-element', 'wp-block-editor', 'wp-components', 'wp-i18n' ),
	'version'      => '0.1.0',
);
