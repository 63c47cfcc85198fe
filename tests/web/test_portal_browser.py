"""The portal in a real browser (headless Chromium): a clerk opens /xac-thuc, picks the file,
presses «Kiểm tra» and reads the verdict, for the current record, the replaced one and a
forgery; someone follows a PDF's QR code with and without its access code; a parent recovers
the files. The pages work without any script of ours."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer, unused_port
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from core.formatting import grouped
from core.models import Guardian, Student
from core.services.lookup_codes import Portal
from core.services.verification import verify_file
from core.signing.trust import Trust
from demo.pki import Issued
from tests.hostile import forgery_kit
from tests.hostile.forgery_kit import Kit, stripped
from tests.signing import conftest as signing
from tests.signing.oracles import qr_codes
from tests.web.test_recovery import FakeCodes
from web import lookup as lookup_routes
from web import portal, recovery

pytestmark = pytest.mark.chromium

ca, record, signers = signing.ca, signing.record, signing.signers
kit, other_school = forgery_kit.kit, forgery_kit.other_school


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    """Debian's Chromium driven by its chromedriver (nothing is fetched); files it downloads
    land in tmp_path/downloads."""
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not fetch a driver
    options = Options()
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    options.binary_location = shutil.which("chromium") or "chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=vi"):
        options.add_argument(argument)
    service = Service(shutil.which("chromedriver") or "chromedriver")
    driver = webdriver.Chrome(service=service, options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _check(driver: webdriver.Chrome, url: str, path: Path) -> tuple[str, str, str]:
    """Open the form, upload `path`, submit; the verdict's class and text, and the status."""
    driver.get(url)
    driver.find_element(By.ID, "file").send_keys(str(path))
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    verdict = WebDriverWait(driver, 30).until(
        expected_conditions.presence_of_element_located((By.ID, "verdict"))
    )
    statuses = driver.find_elements(By.ID, "status")
    return verdict.get_attribute("class"), verdict.text, statuses[0].text if statuses else ""


async def test_a_clerk_checks_files_in_the_browser(
    kit: Kit, ca: Issued, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    app = web.Application()
    trust = Trust((ca.certificate,))
    portal.add_routes(app, lambda data: verify_file(data, trust, "web:xac-thuc"))
    files = {"hien-hanh.xml": kit.v2, "cu.pdf": kit.pdf1, "gia.xml": stripped(kit)}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    async with TestServer(app, host="127.0.0.1") as server:
        url = str(server.make_url("/xac-thuc"))
        await asyncio.to_thread(browser.get, url)  # the loop serves the page meanwhile
        assert browser.title == "Xác thực học bạ số"
        answers = {
            name: await asyncio.to_thread(_check, browser, url, tmp_path / name) for name in files
        }
    kind, text, status = answers["hien-hanh.xml"]
    assert kind == "verdict valid" and text == "Mọi chữ ký hợp lệ."
    assert "đang có hiệu lực (bản hiện hành)" in status
    kind, text, status = answers["cu.pdf"]
    assert kind == "verdict withdrawn" and "KHÔNG còn hiệu lực" in text
    assert "ĐÃ BỊ THAY THẾ" in status
    kind, text, _status = answers["gia.xml"]
    assert kind == "verdict invalid" and "KHÔNG có giá trị" in text


def _recover(
    driver: webdriver.Chrome, url: str, details: dict[str, str], codes: FakeCodes
) -> list[str]:
    """Fill the details, then the code the channel carried; click every file link."""
    driver.get(url)
    for name, value in details.items():
        driver.find_element(By.ID, name).send_keys(value)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, 30).until(
        expected_conditions.presence_of_element_located((By.ID, "sent"))
    )
    driver.find_element(By.ID, "code").send_keys(codes.sent[-1].code)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    files = WebDriverWait(driver, 30).until(
        expected_conditions.presence_of_element_located((By.ID, "files"))
    )
    links = files.find_elements(By.TAG_NAME, "a")
    names = [link.text for link in links]
    for link in links:
        link.click()
    return names


async def test_a_parent_recovers_the_files_in_the_browser(
    kit: Kit, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    student = await Student.get(national_id=kit.record.national_id)
    await Guardian.create(student=student, full_name="Bố", relation="Bố", phone="+84912000444")
    codes = FakeCodes()
    app = web.Application()
    recovery.add_routes(app, recovery.FamilyDoor(codes, None))
    details = {
        "national_id": kit.record.national_id,
        "born": kit.record.born.strftime("%d/%m/%Y"),
        "phone": "0912 000 444",
    }
    async with TestServer(app, host="127.0.0.1") as server:
        url = str(server.make_url("/lay-lai-hoc-ba"))
        names = await asyncio.to_thread(_recover, browser, url, details, codes)
        downloads = tmp_path / "downloads"
        for _ in range(100):  # the browser writes the files as it receives them
            if sorted(p.name for p in downloads.iterdir()) == sorted(names):
                break
            await asyncio.sleep(0.1)
    assert [(downloads / name).read_bytes() for name in names] == [kit.v2, kit.pdf2]


def _follow(driver: webdriver.Chrome, url: str, access: str) -> tuple[str, str]:
    """Open the QR code's address, give `access`; the page's notice or status, and its text."""
    driver.get(url)
    driver.find_element(By.ID, "access").send_keys(access)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    shown = WebDriverWait(driver, 30).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "#notice, #status"))
    )
    return shown.get_attribute("id"), driver.find_element(By.TAG_NAME, "body").text


@pytest.mark.poppler
async def test_a_pdf_qr_code_leads_to_its_record_with_the_access_code(
    sqlite_db: str,
    ca: Issued,
    signers,
    other_school,
    record,
    browser: webdriver.Chrome,
    tmp_path: Path,
) -> None:
    """The QR code is read off the rendered PDF page, as a phone would; the page it opens shows
    nothing without the access code printed beside it, and the record with it."""
    port = unused_port()
    lookup = Portal(f"http://127.0.0.1:{port}").new_lookup()
    kit = await forgery_kit.seed_school(
        ca, signers, other_school, dataclasses.replace(record, lookup=lookup)
    )
    [url] = qr_codes(kit.pdf2, tmp_path)
    assert url == lookup.url
    app = web.Application()
    lookup_routes.add_routes(app)
    async with TestServer(app, host="127.0.0.1", port=port):
        await asyncio.to_thread(browser.get, url)
        assert browser.title == "Tra cứu học bạ số"
        assert kit.record.full_name not in browser.page_source
        wrong = await asyncio.to_thread(_follow, browser, url, "12345678")
        right = await asyncio.to_thread(_follow, browser, url, grouped(lookup.access))
    assert wrong[0] == "notice" and "không đúng" in wrong[1]
    assert kit.record.full_name not in wrong[1]
    assert right[0] == "status" and "đang có hiệu lực" in right[1]
    assert kit.record.full_name in right[1] and kit.record.record_code in right[1]
