"""The console's pages, pure: every link to a serial is its page's path, whatever the serial holds."""

from __future__ import annotations

import re
from collections import Counter
from html import unescape
from urllib.parse import unquote

import pytest

from console_support import T0, dead
from fapiao.console import pages
from fapiao.console.index import Found, Overview, Waiting

ODD = ("a?b", "../x", "%", "a\r\nb", "c/d#e", '"><i>x', "发票 1", "S-1")


def links(html: str) -> list[str]:
    return [unescape(href) for href in re.findall(r'<a href="([^"]*)"', html)]


@pytest.mark.parametrize("serial", ODD)
def test_a_serials_path_is_one_segment_that_decodes_to_the_serial(serial: str) -> None:
    path = pages.serial_path(serial)
    segment = path.removeprefix("/serials/")
    assert re.fullmatch(r"[A-Za-z0-9_.~%-]+", segment) and unquote(segment) == serial


def test_search_results_link_each_serial_to_its_own_page() -> None:
    found = [Found(serial, "rejected", "kingdee", T0) for serial in ODD]
    assert links(pages.search_main("x", found)) == [pages.serial_path(serial) for serial in ODD]


def test_the_overviews_tables_link_serials_blues_and_dead_letter_keys_by_their_paths() -> None:
    red = Waiting("../x", T0, "kingdee", None, None, original_serial="a?b")
    view = Overview(serials=2, by_status=Counter(), results=[], in_doubt=[Waiting("%", T0, "kingdee", None, None)],
                    paused=[], forms=[red], dlq=[dead("a\r\nb", b"{}")], records=3, undecodable=0)
    assert links(pages.overview_main(view, reading="")) == [pages.serial_path(s) for s in ("%", "../x", "a?b", "a\r\nb")]
