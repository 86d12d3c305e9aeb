"""The operator's console: a read-only web view of the topics, for support staff.

    index.py   the records filed by serial, and the views pages show (pure)
    feed.py    reads the topics into the index, following them (a consumer that never writes)
    auth.py    the token and the session cookie made from it (pure)
    pages.py   HTML from the views (pure)
    app.py     the aiohttp routes, the guard and the security headers
"""

from fapiao.console.app import SECURITY_HEADERS, SERVER_OPTIONS, create_app
from fapiao.console.auth import COOKIE, Guard
from fapiao.console.feed import Feed
from fapiao.console.index import Index

__all__ = ["create_app", "SECURITY_HEADERS", "SERVER_OPTIONS", "COOKIE", "Guard", "Feed", "Index"]
