"""What the body of a web answer holds, for every URL reader: gunzipped within a limit, read
as XML by a parser that never fetches nor expands anything, its root element named."""

from __future__ import annotations

import zlib

from lxml import etree

from indexer.sources.web.http import Response, human_size

ATOM_NS = "http://www.w3.org/2005/Atom"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
SITEMAP_SIZE_FACTOR = 5  # a sitemap file may be this many times a page's size limit (50 MB at default)


def unzipped(answer: Response, limit: int, truncate: bool = False) -> bytes:
    """The body, gunzipped when it is a gzip file (`sitemap.xml.gz`), never past `limit` bytes
    (`truncate`: cut there; else an error)."""
    body = answer.content
    if body[:2] != b"\x1f\x8b":
        return body
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error:
        if answer.truncated:  # cut by the size limit: what came is read
            data = b""
        else:
            raise answer.error("a damaged gzip file") from None
    if len(data) > limit and truncate:
        return data[:limit]
    if len(data) > limit:
        raise answer.error(f"larger than {human_size(limit)} once unzipped")
    return data


def xml_parser() -> etree.XMLPullParser:
    """A parser for the web's XML that never fetches nor expands anything (no DTD, no entities)."""
    return etree.XMLPullParser(events=("start", "end"), resolve_entities=False, no_network=True,
                               load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True)


def xml_root(body: bytes) -> str | None:
    """The local name of the document's root (`rss`, `rdf`, `atom`, `urlset`, `html`...), or None."""
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:512].lower()
    if start.startswith((b"<!doctype html", b"<html")):
        return "html"
    if not start.startswith(b"<"):
        return None
    parser = xml_parser()
    try:
        for offset in range(0, min(len(body), 1 << 20), 4096):
            parser.feed(body[offset:offset + 4096])
            for _event, element in parser.read_events():
                qname = etree.QName(element)
                if qname.localname == "feed" and qname.namespace == ATOM_NS:
                    return "atom"
                if qname.localname == "RDF" and qname.namespace == RDF_NS:
                    return "rdf"
                return qname.localname.lower()
    except etree.XMLSyntaxError:
        if b"<html" in start or b"<head" in start:
            return "html"
        return "!doctype" if b"<!doctype" in start else None
    return None
