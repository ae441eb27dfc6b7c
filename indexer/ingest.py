"""What an article becomes before it is indexed, the same for a build, a pushed write and a merge:
its quoted sources, its content hash, its catalog entry and its document for the schema."""

from __future__ import annotations

from indexer.article import Article
from indexer.sources import unique
from indexer.sources.quotes import extract_sources


def prepare(article: Article, old_entry: dict | None) -> tuple[dict, tuple[dict, dict] | None]:
    """The catalog entry of an article, and what a shard writes of it: (document, entry), or
    None when `old_entry` shows the same content (nothing to analyse again; its quoted
    sources are reused too: finding them is the costliest step of reading an archive)."""
    content = article.content_hash()
    if old_entry is not None and old_entry.get("hash") == content:
        return old_entry, None
    # The article's own address keeps its site's links out of its sources.
    article.sources = unique(article.sources + extract_sources(article.body, article.body_html, article.url))
    entry = {"id": article.id, "hash": content, "date": article.date, "author": article.author,
             "tags": article.tags, "categories": article.categories, "sources": article.sources}
    return entry, (document(article), entry)


def document(article: Article) -> dict:
    """An article as the schema indexes and stores it (indexer/schema.py)."""
    return {
        "id": article.id, "url": article.url, "title": article.title, "body": article.body,
        "tags": "\n".join(article.tags), "categories": "\n".join(article.categories),
        "sources": "\n".join(article.sources),
        "date": article.date, "author": article.author, "tag_list": article.tags,
        "category_list": article.categories, "source_list": article.sources,
    }
