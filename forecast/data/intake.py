"""Pre-fill a rumour from a news page: a page saved to disk, or only its URL.

Nothing is fetched over the network. A saved page (``File > Save page as`` in a browser) gives its
publication date, outlet, author, canonical address and headline from the metadata news sites
publish for search engines and social cards: Open Graph and ``article:`` meta tags, schema.org
JSON-LD (``NewsArticle``), ``<link rel="canonical">``, ``<time datetime>`` and ``<title>``. A URL
alone gives what its host and path say: the outlet (matched to ``sources.csv`` by host), a date
when the path carries one (``/2024/11/20/``) and the slug as a provisional headline.

The result only fills gaps: values the user gives win, and every value still passes the rumour
validation of :mod:`forecast.data.store` (an address must be http or https, the outlet must be known).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from forecast.errors import DataValidationError, Problem

#: A saved page larger than this is refused (news pages are well under it).
MAX_PAGE_BYTES = 5 * 2**20


_DATE_KEYS = ("article:published_time", "datepublished", "og:article:published_time",
              "pubdate", "publishdate", "date", "dc.date", "dc.date.issued", "parsely-pub-date",
              "sailthru.date", "publish-date")


_TITLE_KEYS = ("og:title", "twitter:title", "headline")


_SITE_KEYS = ("og:site_name", "application-name", "publisher")


_AUTHOR_KEYS = ("author", "article:author", "parsely-author", "sailthru.author", "byl")


_URL_DATE = (re.compile(r"/(20\d\d)[/-](\d\d)[/-](\d\d)(?:/|\b)"),
             re.compile(r"/(20\d\d)/([a-z]{3})/(\d\d)/", re.I),
             re.compile(r"(?<!\d)(20\d\d)(\d\d)(\d\d)(?!\d)"))


_MONTHS = {m: f"{i:02d}" for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}


@dataclass
class PageFields:
    """What a page says about itself, before it is matched to the scenario."""

    url: str | None = None
    date: dt.date | None = None
    site: str | None = None
    host: str | None = None
    author: str | None = None
    title: str | None = None
    found: dict[str, str] = field(default_factory=dict)


class _MetaParser(HTMLParser):
    """Collect meta tags, canonical links, the first ``<time>``, the title and JSON-LD blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.canonical: str | None = None
        self.time: str | None = None
        self.title = ""
        self.jsonld: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").strip().lower()
            if key and a.get("content", "").strip():
                self.meta.setdefault(key, a["content"].strip())
        elif tag == "link" and "canonical" in a.get("rel", "").lower().split():
            self.canonical = self.canonical or a.get("href", "").strip() or None
        elif tag == "time" and self.time is None and a.get("datetime"):
            self.time = a["datetime"].strip()
        elif tag == "title" or (tag == "script" and a.get("type", "").lower() == "application/ld+json"):
            self._in = tag
            if tag == "script":
                self.jsonld.append("")

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in == "title":
            self.title += data
        elif self._in == "script":
            self.jsonld[-1] += data


def _articles(node):
    """Yield every JSON-LD object whose type is an article, depth first."""
    if isinstance(node, list):
        for item in node:
            yield from _articles(item)
    elif isinstance(node, dict):
        kind = node.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        if any(isinstance(k, str) and k.endswith("Article") for k in kinds):
            yield node
        for key in ("@graph", "mainEntity"):
            if key in node:
                yield from _articles(node[key])


def _name(value) -> str | None:
    """Return the name of a JSON-LD person or organisation (or the first of a list)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _parse_date(text: str | None) -> dt.date | None:
    """Read the calendar date at the start of an ISO-like timestamp."""
    match = re.match(r"\s*(\d{4})-?(\d{2})-?(\d{2})", text or "")
    if not match:
        return None
    try:
        return dt.date(*map(int, match.groups()))
    except ValueError:
        return None


def _host(url: str | None) -> str | None:
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.hostname.lower().removeprefix("www.")


def from_url(url: str) -> PageFields:
    """Read the host, a date in the path and the slug of a news URL (nothing is fetched)."""
    fields = PageFields(url=url, host=_host(url))
    path = unquote(urlsplit(url).path)
    for pattern in _URL_DATE:
        match = pattern.search(path)
        parts = [_MONTHS.get(p.lower(), p) for p in match.groups()] if match else []
        if match and (date := _parse_date("-".join(parts))):
            fields.date, fields.found["date"] = date, "the address"
            break
    slugs = [s for s in path.split("/") if re.search(r"[a-zA-Z]{3,}-[a-zA-Z]", s)]
    if slugs:
        slug = re.sub(r"\.[a-z]{2,5}$", "", slugs[-1])
        slug = re.sub(r"[-_](?:n[-_]?)?(?:\d{4,}|[a-z]*\d[a-z\d]{6,})$", "", slug)
        fields.title, fields.found["title"] = re.sub(r"[-_]+", " ", slug).strip().capitalize(), \
            "the address"
    return fields


def from_page(path: Path) -> PageFields:
    """Read the metadata a saved news page publishes about itself.

    Raises
    ------
    DataValidationError
        For a page that cannot be read, is larger than :data:`MAX_PAGE_BYTES` or is not HTML.
    """
    try:
        if path.stat().st_size > MAX_PAGE_BYTES:
            raise DataValidationError([Problem(str(path), None, None,
                                               f"larger than {MAX_PAGE_BYTES // 2**20} MiB")])
        raw = path.read_bytes()
    except OSError as exc:
        raise DataValidationError([Problem(str(path), None, None,
                                           f"cannot read the page: {exc.strerror}")]) from None
    text = raw.decode("utf-8", errors="replace")
    if "<" not in text[:4096] or not re.search(r"<(html|head|meta|title)\b", text, re.I):
        raise DataValidationError([Problem(str(path), None, None,
                                           "not an HTML page (save the article from a browser)")])
    parser = _MetaParser()
    parser.feed(text)
    parser.close()
    article: dict = {}
    for block in parser.jsonld:
        try:
            article = next(_articles(json.loads(block)), {})
        except ValueError:
            continue
        if article:
            break
    meta = parser.meta

    def first(*candidates: tuple[str, str | None]) -> tuple[str | None, str | None]:
        for where, value in candidates:
            if value:
                return value.strip(), where
        return None, None

    url, where_url = first(("JSON-LD", article.get("url") if isinstance(article.get("url"), str)
                            else None), ("og:url", meta.get("og:url")),
                           ("the canonical link", parser.canonical))
    if url and not _host(url):
        url, where_url = None, None
    fields = PageFields(url=url, host=_host(url))
    date_text, where_date = first(("JSON-LD", article.get("datePublished")),
                                  *((k, meta.get(k)) for k in _DATE_KEYS), ("<time>", parser.time))
    fields.date = _parse_date(date_text)
    fields.title, where_title = first(("JSON-LD", article.get("headline")),
                                      *((k, meta.get(k)) for k in _TITLE_KEYS),
                                      ("<title>", " ".join(parser.title.split())))
    fields.site, where_site = first(("JSON-LD", _name(article.get("publisher"))),
                                    *((k, meta.get(k)) for k in _SITE_KEYS))
    fields.author, where_author = first(("JSON-LD", _name(article.get("author"))),
                                        *((k, meta.get(k)) for k in _AUTHOR_KEYS))
    if fields.author and _host(fields.author):  # article:author is often a profile URL
        fields.author, where_author = None, None
    for name, where in (("url", where_url), ("date", where_date if fields.date else None),
                        ("title", where_title), ("site", where_site), ("author", where_author)):
        if where:
            fields.found[name] = where
    if url and (from_address := from_url(url)).date and not fields.date:
        fields.date, fields.found["date"] = from_address.date, "the address"
    return fields


def match_source(fields: PageFields, names: dict[str, str],
                 hosts: dict[str, str]) -> tuple[str, str] | None:
    """Return the known source a page comes from, and how it was matched.

    By host (or a parent domain) against the sources' home pages and aliases, else by the site
    name or author the page gives.

    Parameters
    ----------
    fields : PageFields
        What the page says.
    names : dict
        Lower-case source names and aliases to canonical names (:meth:`Scenario.source_names`).
    hosts : dict
        Hosts (without ``www.``) of the sources' home pages to canonical names.
    """
    if fields.host:
        labels = fields.host.split(".")
        section = urlsplit(fields.url or "").path.strip("/").split("/")[0].lower()
        for i in range(len(labels) - 1):
            domain = ".".join(labels[i:])
            for candidate in (f"{domain}/{section}", domain):
                if candidate in hosts or candidate in names:
                    return hosts.get(candidate) or names[candidate], f"host {fields.host}"
    for what, value in (("site", fields.site), ("author", fields.author)):
        if value and value.strip().lower() in names:
            return names[value.strip().lower()], f"{what} name in {fields.found[what]}"
    return None


def prefill(target: str, names: dict[str, str], hosts: dict[str, str]) -> tuple[dict, PageFields]:
    """Return rumour fields pre-filled from a saved page or a URL, and what the page said.

    Parameters
    ----------
    target : str
        An ``http(s)://`` address (read without fetching) or the path of a saved HTML page.
    names, hosts : dict
        As for :func:`match_source`.

    Returns
    -------
    fields : dict
        ``date``, ``source``, ``journalist``, ``url`` and ``summary`` (the headline, to be put in
        your own words), each only where the page gives it.
    page : PageFields
        Everything read, with where each value was found.

    Raises
    ------
    DataValidationError
        When ``target`` is neither an http(s) address nor a readable HTML file.
    """
    if re.match(r"^[a-z][a-z0-9+.-]*://", target, re.I):
        if not _host(target):
            raise DataValidationError([Problem("--from-url", None, "url",
                                               f"{target!r} is not an http(s) address")])
        page = from_url(target)
    else:
        page = from_page(Path(target))
    source, page.found["source"] = match_source(page, names, hosts) or (None, "")
    journalist = page.author if page.author and page.author != source else None
    values = {"date": page.date.isoformat() if page.date else None, "source": source,
              "journalist": journalist, "url": page.url, "summary": page.title}
    return {k: v for k, v in values.items() if v}, page
