"""An article's stored fields as the API shows them (search results, one article, related articles)."""

from __future__ import annotations


def public_fields(doc: dict) -> dict:
    """The stored fields of an article, named and typed as the API shows them."""
    return {
        "id": doc["id"], "url": doc.get("url") or "", "title": doc.get("title") or "",
        "date": doc.get("date") or "", "author": doc.get("author") or "",
        "tags": doc.get("tag_list") or [], "categories": doc.get("category_list") or [],
        "sources": doc.get("source_list") or [],
    }
