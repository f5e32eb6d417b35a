"""The SCC2 reference client in a real headless Chromium: its payloads open and verify with cardapi.scc2."""

import functools
import http.server
import threading
from pathlib import Path

import pytest

from cardapi import scc2
from cardapi.codes import new_card_number

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "web" / "static"
STEP = 59_012_345


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript"}

    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def static_site():
    """web/static over http://127.0.0.1, a secure context where WebCrypto and IndexedDB work."""
    handler = functools.partial(_QuietHandler, directory=str(STATIC))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def page(browser, static_site):
    context = browser.new_context()
    page = context.new_page()
    page.goto(static_site + "/js/")
    yield page
    context.close()


@pytest.fixture(scope="module")
def ring():
    return scc2.KeyRing.from_setting(scc2.new_key_entry("2026a"))


ENROL_AND_BUILD = """async ({cardNumber, step, serviceKey}) => {
    const client = await import("/js/scc2.js");
    const deviceKey = await client.createDeviceKey();
    return {
        spki: await client.exportPublicKey(deviceKey),
        payload: await client.buildPayload({cardNumber, step, deviceKey, serviceKey}),
    };
}"""

BUILD_WITH_STORED_KEY = """async ({cardNumber, step, serviceKey}) => {
    const client = await import("/js/scc2.js");
    const deviceKey = await client.loadDeviceKey();
    let exported = true;
    try { await crypto.subtle.exportKey("pkcs8", deviceKey.privateKey); } catch { exported = false; }
    return {
        spki: await client.exportPublicKey(deviceKey),
        extractable: deviceKey.privateKey.extractable,
        exported,
        payload: await client.buildPayload({cardNumber, step, deviceKey, serviceKey}),
    };
}"""


def test_browser_payload_opens_and_verifies_with_the_enrolled_device_key(page, ring):
    card_number = new_card_number()
    made = page.evaluate(ENROL_AND_BUILD, {"cardNumber": card_number, "step": STEP, "serviceKey": ring.public_key()})

    claim = scc2.open_payload(made["payload"], ring=ring)

    assert (claim.card_number, claim.step) == (card_number, STEP)
    assert claim.signed_by(scc2.load_device_key(made["spki"]))
    assert card_number not in made["payload"]


def test_device_key_survives_a_reload_and_cannot_be_exported(page, ring):
    card_number = new_card_number()
    arguments = {"cardNumber": card_number, "step": STEP, "serviceKey": ring.public_key()}
    enrolled = page.evaluate(ENROL_AND_BUILD, arguments)
    page.reload()

    later = page.evaluate(BUILD_WITH_STORED_KEY, {**arguments, "step": STEP + 1})

    assert later["spki"] == enrolled["spki"]
    assert later["extractable"] is False and later["exported"] is False
    claim = scc2.open_payload(later["payload"], ring=ring)
    assert claim.step == STEP + 1 and claim.signed_by(scc2.load_device_key(enrolled["spki"]))


def test_browser_payload_is_refused_for_another_device_and_after_one_changed_character(page, ring):
    made = page.evaluate(
        ENROL_AND_BUILD, {"cardNumber": new_card_number(), "step": STEP, "serviceKey": ring.public_key()}
    )
    other = page.evaluate(
        ENROL_AND_BUILD, {"cardNumber": new_card_number(), "step": STEP, "serviceKey": ring.public_key()}
    )
    middle = len(made["payload"]) // 2
    flipped = "1" if made["payload"][middle] == "0" else "0"
    altered = made["payload"][:middle] + flipped + made["payload"][middle + 1 :]

    assert not scc2.open_payload(made["payload"], ring=ring).signed_by(scc2.load_device_key(other["spki"]))
    with pytest.raises(scc2.Scc2Error):
        scc2.open_payload(altered, ring=ring)


def test_client_refuses_inputs_outside_the_format_and_computes_steps_like_scc1(page, ring):
    refusals = page.evaluate(
        """async (serviceKey) => {
            const client = await import("/js/scc2.js");
            const deviceKey = await client.createDeviceKey();
            const attempts = [
                {cardNumber: "941012345678901", step: 1, serviceKey},
                {cardNumber: "9410123456789010", step: -1, serviceKey},
                {cardNumber: "9410123456789010", step: 1.5, serviceKey},
                {cardNumber: "9410123456789010", step: 1, serviceKey: {...serviceKey, kid: "much-too-long"}},
            ];
            const names = [];
            for (const attempt of attempts) {
                try { await client.buildPayload({...attempt, deviceKey}); names.push("built"); }
                catch (error) { names.push(error.name); }
            }
            return {names, step: client.currentStep(30, 1_770_000_029_999)};
        }""",
        ring.public_key(),
    )

    assert refusals == {"names": ["RangeError"] * 4, "step": 1_770_000_029_999 // 1000 // 30}
