"""Every dashboard page: under 100 kB over the wire with what it loads, nothing from another
host, in each shipped language, for a coordinator and a viewer."""
import re
from urllib.parse import urlparse

import pytest
from dashboard_people import GRACE, RUTH
from scenes import AMINA, JUMA, add_member

from bot.web.site import SECTIONS
from locales.i18n import SHIPPED
from storage.db import unit_of_work

PAGES = ["", *[path for path, _label in SECTIONS]]
BUDGET = 100_000  # bytes over the wire: the page and everything it loads
LINKED = re.compile(r'(?:src|href)="([^"#]+)"')


@pytest.fixture
def members(factory, kisumu):
    with unit_of_work(factory) as session:
        add_member(session, AMINA, "fish_processor", kisumu, "en", "Amina", place="Kisumu")
        add_member(session, JUMA, "fisher", kisumu, "sw", "Juma", place="Kisumu")


def weight(person, path: str) -> tuple[int, list[str]]:
    """Bytes the page and what it loads took (gzip as a browser asks), and the hosts named."""
    page = person.get(path, headers={"accept-encoding": "gzip"})
    assert page.status_code == 200, (path, page.status_code)
    total, hosts = page.num_bytes_downloaded, []
    for link in set(LINKED.findall(page.text)):
        address = urlparse(link)
        if address.netloc:
            hosts.append(address.netloc)
        elif link.startswith("/static/"):
            total += person.get(link, headers={"accept-encoding": "gzip"}).num_bytes_downloaded
    return total, hosts


@pytest.mark.parametrize("email", [GRACE, RUTH])
def test_every_page_is_light_and_loads_nothing_from_another_host(browser, members, email):
    person = browser(email)
    for path in PAGES:
        total, hosts = weight(person, f"/dashboard/kisumu-fish/{path}")
        assert total < BUDGET, (path, total)
        assert hosts == [], (path, hosts)


def test_every_page_speaks_each_language(browser, members):
    person = browser(GRACE)
    for lang in SHIPPED:
        for path in PAGES:
            page = person.get(f"/dashboard/kisumu-fish/{path}?lang={lang}")
            assert page.status_code == 200 and f'<html lang="{lang}">' in page.text, (lang, path)
