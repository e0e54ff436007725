"""The interactive page (`draw_graph(...).save_html`, `kissgrad graph --html`): one
self-contained file, checked as text here and in a real headless Chromium (Debian's
package) driven by Playwright's Python package: open it, expand a module, see its inner
nodes, hover for the numbers, search, pan and zoom.

The browser tests are marked ``browser`` and skip, saying why, without Playwright
(``.venv/bin/pip install playwright``) or a Chromium (``apt-get install chromium``; another
one through ``KISSGRAD_CHROMIUM=/path``). Playwright never downloads a browser here.
Screenshots go to pytest's ``tmp_path``; the README's (``graph_page.png``) also to
``$KISSGRAD_SCREENSHOTS`` when it is set (``make demo`` sets it to docs/images).
"""
import json
import math
import os
import re
import shutil

import numpy as np
import pytest

import nn.functional as F
from autograd import Tensor, manual_seed
from autograd.viz import colour_of, draw_graph, record_grads, render_graph
from autograd.viz.structure import Structure
from kissgrad.graph import RowLSTM

PARAMS = ["lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0",
          "head.weight", "head.bias"]


@pytest.fixture(scope="module")
def lstm():
    """(model, loss) of `kissgrad graph --model lstm` (20 steps), backward recorded."""
    manual_seed(0)
    model = RowLSTM(steps=20)
    x = Tensor(np.random.default_rng(0).standard_normal((4, 1, 28, 28)).astype(np.float32))
    loss = F.cross_entropy(model(x), Tensor(np.array([0, 1, 2, 3])))
    with record_grads():
        loss.backward()
    return model, loss


@pytest.fixture(scope="module")
def lstm_page(lstm, tmp_path_factory):
    model, loss = lstm
    path = tmp_path_factory.mktemp("page") / "lstm.html"
    draw_graph(loss, model=model, depth=0).save_html(path)
    return path


def page_json(text):
    data = re.search(r'<script type="application/json" id="kg-data">(.*?)</script>', text, re.S)
    return json.loads(data.group(1).replace("<\\/", "</"))


# --- the file -------------------------------------------------------------------------

def test_the_page_is_one_self_contained_file(lstm_page):
    text = lstm_page.read_text()
    assert text.startswith("<!DOCTYPE html>") and text.count("<script") == 2
    for fetch in ("<script src", "<link", "@import", "url(", "fetch(", "XMLHttpRequest",
                  "https://", "http://cdn", "import("):
        assert fetch not in text, fetch
    assert re.findall(r"http://[^\"' ]+", text) == ["http://www.w3.org/2000/svg"] * 2  # names
    data = page_json(text)
    names = {n["name"] for n in data["nodes"]}
    assert set(PARAMS) <= names
    titles = {g["title"] for g in data["groups"]}
    assert "lstm (LSTM)" in titles and {f"lstm step {k}" for k in range(1, 21)} <= titles


def test_the_page_data_carries_the_shared_colours_and_statistics(lstm, lstm_page):
    model, loss = lstm
    data = page_json(lstm_page.read_text())
    weight = next(n for n in data["nodes"] if n["name"] == "head.weight")
    norm = float(np.linalg.norm(model.head.weight.grad.numpy().astype(np.float64)))
    assert weight["stats"]["norm"] == pytest.approx(norm)
    assert weight["colour"] == colour_of(weight["stats"]["norm"]) and weight["kind"] == "param"
    assert data["depth"] == 0 and data["scale"]["palette"][5] == colour_of(1.0)


def test_nan_gradients_and_odd_names_keep_the_page_valid(tmp_path):
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * float("nan")).sum()
    with record_grads():
        y.backward()
    path = draw_graph(y, names={"a</script><b>": x}).save_html(tmp_path / "nan.html")
    text = open(path).read()
    assert text.count("</script>") == 2
    data = page_json(text)
    leaf = next(n for n in data["nodes"] if n["name"] == "a</script><b>")
    assert leaf["stats"]["nonfinite"] == 2 and leaf["colour"] == "#ff00ff"


def test_render_graph_and_the_command_write_html_without_graphviz(lstm, tmp_path, monkeypatch):
    from kissgrad.cli import main

    model, loss = lstm
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot`: the page needs none
    path = render_graph(draw_graph(loss, model=model), tmp_path / "g.html")
    assert "kg-data" in open(path).read()
    assert main(["graph", "--model", "lstm", "--html", "--out", str(tmp_path / "c.html")]) == 0
    assert main(["graph", "--model", "cnn", "--out", str(tmp_path / "c.dot")]) == 0
    assert (tmp_path / "c.dot").read_text().startswith("digraph")


# --- in a real browser ----------------------------------------------------------------

def chromium():
    """The path of a Chromium (or Chrome) to drive, or None."""
    given = os.environ.get("KISSGRAD_CHROMIUM")
    if given:
        return given
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if shutil.which(name):
            return shutil.which(name)
    mac = "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"
    return mac if os.path.exists(mac) else None


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="Playwright's Python package is not installed (.venv/bin/pip install playwright)")
    executable = chromium()
    if executable is None:
        pytest.skip("no Chromium to drive: apt-get install chromium (or set KISSGRAD_CHROMIUM)")
    with sync_api.sync_playwright() as playwright:
        # --no-sandbox: the tests also run as root in containers, where the sandbox cannot start
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser, lstm_page):
    tab = browser.new_page(viewport={"width": 1600, "height": 900})
    tab.set_default_timeout(5000)  # a missing element fails in seconds, not half a minute
    errors = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto(lstm_page.as_uri())
    yield tab
    tab.close()
    assert errors == [], errors  # no script error while the test ran


INSIDE = """title => {
  const box = document.querySelector(`.kg-cluster[data-title='${title}'] rect`).getBoundingClientRect();
  return [...document.querySelectorAll(".kg-node[data-kind='op']")].filter(node => {
    const b = node.getBoundingClientRect();
    return b.left >= box.left && b.right <= box.right && b.top >= box.top && b.bottom <= box.bottom;
  }).length;
}"""


def keep(tab, tmp_path, name, readme=False):
    """Screenshot to tmp_path (the README's also to $KISSGRAD_SCREENSHOTS when set)."""
    path = tmp_path / name
    tab.screenshot(path=str(path))
    folder = os.environ.get("KISSGRAD_SCREENSHOTS")
    if folder and readme:
        shutil.copy(path, os.path.join(folder, name))
    assert path.read_bytes()[:4] == b"\x89PNG"
    return path


@pytest.mark.browser
def test_expanding_a_module_shows_its_steps_and_their_ops(page, tmp_path):
    nodes, groups = page.locator(".kg-node"), page.locator(".kg-group")
    assert nodes.count() == 11  # 6 parameters, input, lstm, out[-1], head, loss
    assert page.locator(".kg-group[data-title='lstm (LSTM)']").count() == 1
    keep(page, tmp_path, "graph_page_collapsed.png")
    page.click(".kg-group[data-title='lstm (LSTM)']")
    assert page.locator(".kg-cluster[data-title='lstm (LSTM)']").count() == 1
    steps = [groups.nth(k).get_attribute("data-title") for k in range(groups.count())]
    assert [f"lstm step {k}" for k in range(1, 21)] == [s for s in steps if "step" in s]
    ops_before = page.locator(".kg-node[data-kind='op']").count()
    page.click("#kg-fit")  # the expanded module reaches past the window's right edge
    page.click(".kg-group[data-title='lstm step 20']")
    assert page.locator(".kg-cluster[data-title='lstm step 20']").count() == 1
    inner = page.locator(".kg-node[data-kind='op'][data-in='lstm step 20']").count()
    assert inner >= 10 and page.locator(".kg-node[data-kind='op']").count() == ops_before + inner
    assert page.evaluate(INSIDE, "lstm step 20") == inner  # drawn inside the step's box
    page.click("#kg-fit")
    keep(page, tmp_path, "graph_page_expanded.png")
    page.evaluate("kgPage.zoomTo(\".kg-cluster[data-title='lstm step 20']\", 0.9)")
    page.hover(".kg-node[data-kind='op'][data-in='lstm step 20'] >> nth=4")
    assert page.locator("#kg-tip").is_visible()
    keep(page, tmp_path, "graph_page.png", readme=True)
    page.click("#kg-fit")
    page.click(".kg-cluster-title[data-title='lstm (LSTM)']")  # collapse it again
    assert nodes.count() == 11


@pytest.mark.browser
def test_hovering_shows_the_gradient_statistics(page, lstm):
    model, _ = lstm
    page.hover(".kg-node[data-name='head.weight']")
    tip = page.locator("#kg-tip")
    assert tip.is_visible()
    text = tip.inner_text()
    norm = float(np.linalg.norm(model.head.weight.grad.numpy().astype(np.float64)))
    assert "head.weight" in text and "(10, 32) float32" in text
    shown = float(re.search(r"\|g\| \(L2 norm\) ([0-9.e+-]+)", text).group(1))
    assert shown == pytest.approx(norm, rel=1e-3) and "NaN/Inf 0" in text
    page.hover(".kg-group[data-title='lstm (LSTM)']")
    assert "20 steps" in tip.inner_text() and "gradient at its outputs" in tip.inner_text()
    page.mouse.move(5, 890)
    assert not tip.is_visible()


@pytest.mark.browser
def test_edges_show_what_flowed_back_along_them(page):
    edge = page.locator(".kg-edge-wrap[data-dst^='n']").first
    box = edge.locator(".kg-edge-hit").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(50)
    hovered = page.evaluate("document.elementFromPoint(%f, %f).getAttribute('class')"
                            % (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2))
    if hovered == "kg-edge-hit":  # the middle of a curve can pass over a node
        assert "gradient sent back along this edge" in page.locator("#kg-tip").inner_text()
    assert page.locator(".kg-edge-hit").count() == page.locator(".kg-edge-wrap").count() > 0


@pytest.mark.browser
def test_search_finds_parameters_and_pan_and_zoom_move_the_view(page):
    page.fill("#kg-search", "weight_hh")
    assert page.inner_text("#kg-matches") == "1 match"
    assert page.locator(".kg-match").get_attribute("data-name") == "lstm.weight_hh_l0"
    page.press("#kg-search", "Enter")
    assert page.locator(".kg-current").count() == 1
    page.fill("#kg-search", "bias")
    assert page.inner_text("#kg-matches") == "3 matches"
    before = page.get_attribute("#kg-viewport", "transform")
    page.mouse.move(800, 500)
    page.mouse.wheel(0, -400)
    zoomed = page.get_attribute("#kg-viewport", "transform")
    scale = lambda t: float(re.search(r"scale\(([0-9.e-]+)\)", t).group(1))  # noqa: E731
    assert scale(zoomed) > scale(before)
    page.mouse.move(700, 600)
    page.mouse.down()
    page.mouse.move(500, 500, steps=4)
    page.mouse.up()
    assert page.get_attribute("#kg-viewport", "transform").split("scale")[0] != zoomed.split("scale")[0]


@pytest.mark.browser
def test_the_page_computes_the_same_colours_as_python(page):
    norms = [1e-12, 3.3e-9, 1e-7, 0.0042, 0.5, 1.0, 7.0, 123.4, 9.9e4, 1e9, 0.0]
    assert page.evaluate("norms => norms.map(kgPage.colourOf)", norms) == [colour_of(n) for n in norms]
    assert page.evaluate("kgPage.colourOf(null)") == colour_of(None)
    assert page.evaluate("kgPage.colourOf(Infinity)") == colour_of(math.inf)


@pytest.mark.browser
def test_a_page_of_a_plain_graph_expands_nothing_and_draws_every_node(browser, tmp_path):
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    y = (x.tanh() * 3).sum()
    with record_grads():
        y.backward()
    draw_graph(y, names={"x": x}).save_html(tmp_path / "plain.html")
    tab = browser.new_page(viewport={"width": 1000, "height": 700})
    tab.goto((tmp_path / "plain.html").as_uri())
    assert tab.locator(".kg-node").count() == len(Structure(y).nodes)
    assert tab.locator(".kg-node[data-kind='op']").count() == 2  # tanh, mul; sum made the output
    assert tab.locator(".kg-node[data-kind='output']").count() == 1
    assert not tab.locator(".kg-group").count()
    tab.close()
