"""The playground's page in a real headless Chromium (Debian's package, driven by Playwright,
as tests/test_viz_page.py does): load it, pick the spiral, build a 2x8 tanh network with
the page's own buttons, press play, wait for the test loss to fall below 0.1, turn on the
gradient view, and keep screenshots (pytest's ``tmp_path``; ``playground.png`` also to
``$KISSGRAD_SCREENSHOTS`` when set, for the README). Skipped, saying why, without
Playwright or a Chromium."""
import math
import os
import shutil
import threading

import pytest
from test_viz_page import browser  # noqa: F401 (the fixture, with its skip logic)

from autograd.viz import colour_of
from kissgrad.playground import make_server


@pytest.fixture
def server():
    running = make_server(port=0)
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    yield running
    running.shutdown()
    running.server_close()
    thread.join(5)


@pytest.fixture
def page(browser, server):  # noqa: F811 (browser: the imported fixture)
    tab = browser.new_page(viewport={"width": 1500, "height": 860})
    tab.set_default_timeout(10000)
    errors = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto(server.url)
    tab.wait_for_function("window.kgPlayground && kgPlayground.state()")
    yield tab
    tab.close()
    assert errors == [], errors  # no script error while the test ran


def keep(tab, tmp_path, name, readme=False):
    """Screenshot to tmp_path (the README's also to $KISSGRAD_SCREENSHOTS when set)."""
    path = tmp_path / name
    tab.screenshot(path=str(path))
    folder = os.environ.get("KISSGRAD_SCREENSHOTS")
    if folder and readme:
        shutil.copy(path, os.path.join(folder, name))
    assert path.read_bytes()[:4] == b"\x89PNG"
    return path


def state(tab, expression):
    return tab.evaluate(f"(() => {{ const s = kgPlayground.state(); return {expression}; }})()")


def until(tab, condition, timeout=10000):
    tab.wait_for_function(f"(() => {{ const s = kgPlayground.state(); return {condition}; }})()",
                          timeout=timeout, polling=100)


def build_the_spiral_network(tab):
    """Spiral, sin features, 2x8 tanh, Adam, 800 points: only through the page's controls."""
    tab.click("button[data-dataset=spiral]")
    until(tab, "s.config.dataset === 'spiral'")
    for feature in ("sin x1", "sin x2"):
        tab.click(f".pg-feature[data-feature='{feature}']")
        until(tab, f"s.config.features.includes('{feature}')")
    tab.select_option("#pg-optimizer", "adam")
    until(tab, "s.config.optimizer === 'adam'")
    for layer, more in ((0, 4), (1, 6)):
        for _ in range(more):
            width = state(tab, f"s.config.hidden[{layer}]")
            tab.click(f".pg-layer-head >> nth={layer} >> button >> nth=0")
            until(tab, f"s.config.hidden[{layer}] === {width + 1}")
    tab.evaluate("""() => { const r = document.getElementById('pg-points'); r.value = 800;
                            r.dispatchEvent(new Event('change')); }""")
    until(tab, "s.config.points === 800")
    assert state(tab, "s.config.hidden") == [8, 8] and state(tab, "s.config.activation") == "tanh"


@pytest.mark.browser
def test_the_spiral_is_learned_on_the_page_and_its_gradients_shown(page, tmp_path):
    assert page.locator(".pg-feature").count() == 7 and page.locator(".pg-hidden").count() == 6
    build_the_spiral_network(page)
    assert page.locator(".pg-hidden").count() == 16 and page.locator(".pg-edge").count() == 4 * 8 + 64 + 8
    keep(page, tmp_path, "playground_before.png")
    page.click("#pg-play")
    until(page, "s.playing")
    assert page.inner_text("#pg-play").strip().endswith("pause")
    until(page, "s.testLoss < 0.1", timeout=60000)
    shown = float(page.inner_text("#pg-test-loss"))
    assert shown < 0.2 and int(page.inner_text("#pg-epoch")) > 0
    page.click("#pg-play")
    until(page, "!s.playing")
    keep(page, tmp_path, "playground_trained.png")
    plain = page.get_attribute(".pg-edge >> nth=0", "stroke")
    assert plain in ("rgb(8,119,189)", "rgb(245,147,34)")  # a weight's sign: blue or orange
    assert page.locator("#pg-legend").is_hidden()
    page.check("#pg-grad")
    grad = state(page, "s.edgeGrads[0][0][0]")
    assert page.get_attribute(".pg-edge >> nth=0", "stroke") == colour_of(grad)
    assert page.locator("#pg-legend").is_visible()
    assert page.locator(".pg-layer-norm >> nth=0").inner_text().startswith("|dL/dW| ")
    keep(page, tmp_path, "playground.png", readme=True)


@pytest.mark.browser
def test_a_bad_value_shows_a_message_and_a_reload_keeps_the_run(page):
    page.fill("#pg-lr", "50")
    page.press("#pg-lr", "Enter")
    page.wait_for_selector("#pg-error:not([hidden])")
    assert "lr (the learning rate) must be between 1e-06 and 10.0, got 50" in page.inner_text("#pg-error")
    assert page.input_value("#pg-lr") == "0.03"  # the control shows the running value again
    page.click(".pg-feature[data-feature='x1']")
    page.click(".pg-feature[data-feature='x2']")  # no feature left: refused
    page.wait_for_function("document.getElementById('pg-error').textContent.includes('non-empty')")
    assert state(page, "s.config.features") == ["x2"]
    page.click("#pg-step")
    until(page, "s.epoch === 1")
    assert page.locator("#pg-error").is_hidden()
    session = page.evaluate("kgPlayground.session")
    page.reload()
    page.wait_for_function("window.kgPlayground && kgPlayground.state()")
    assert page.evaluate("kgPlayground.session") == session
    assert state(page, "s.epoch") == 1 and state(page, "s.config.features") == ["x2"]


@pytest.mark.browser
def test_the_page_computes_the_same_colours_as_python(page):
    norms = [1e-12, 3.3e-9, 1e-7, 0.0042, 0.5, 1.0, 7.0, 123.4, 9.9e4, 1e9, 0.0]
    assert page.evaluate("norms => norms.map(kgPlayground.colourOf)", norms) == [colour_of(n) for n in norms]
    assert page.evaluate("kgPlayground.colourOf('NaN/Inf')") == colour_of(math.inf)
