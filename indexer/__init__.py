"""archive-search engine: French article archives in, ranked and faceted answers out."""

__version__ = "0.1.0"
