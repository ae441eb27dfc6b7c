/**
 * The "Archive search" block in the editor: a placeholder and two settings. The page shows the
 * real search box, rendered on the server (plain script: the plugin has no build step).
 */
( function ( blocks, element, blockEditor, components, i18n ) {
	'use strict';
	var el = element.createElement;
	var __ = i18n.__;

	blocks.registerBlockType( 'archive-search/search', {
		edit: function ( props ) {
			var attributes = props.attributes;
			return el(
				element.Fragment,
				null,
				el(
					blockEditor.InspectorControls,
					null,
					el(
						components.PanelBody,
						{ title: __( 'Search box', 'archive-search' ) },
						el( components.RangeControl, {
							label: __( 'Results per page', 'archive-search' ),
							min: 1,
							max: 50,
							value: attributes.perPage,
							onChange: function ( value ) {
								props.setAttributes( { perPage: value } );
							},
						} ),
						el( components.TextControl, {
							label: __( 'Facets (tag, category, source, year, author)', 'archive-search' ),
							value: attributes.facets,
							onChange: function ( value ) {
								props.setAttributes( { facets: value } );
							},
						} )
					)
				),
				el(
					'div',
					blockEditor.useBlockProps(),
					el( components.Placeholder, {
						icon: 'search',
						label: __( 'Archive search', 'archive-search' ),
						instructions: __( 'The search box of your archive shows here on the published page.', 'archive-search' ),
					} )
				)
			);
		},
		save: function () {
			return null;
		},
	} );
}( window.wp.blocks, window.wp.element, window.wp.blockEditor, window.wp.components, window.wp.i18n ) );
