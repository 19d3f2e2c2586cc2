"""The validate HTML report in a real browser: headless Chromium (Debian's `chromium` package) loads
it without console messages (the page has no script: any message is an error), every inline image
decodes, and a screenshot is not blank. Skipped, saying why, where Chromium is not installed."""
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

from maskcore import jobs

from test_jobs import SAMPLE


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("headless Chromium is not installed (Debian: apt-get install -y chromium)")


def _run(browser, *args, timeout=120):
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
           "--hide-scrollbars", "--enable-logging=stderr", "--v=0", *args]
    # without a sanitizer runtime preloaded for Python (tools/sanitize.sh): not Chromium's business
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    d = tmp_path_factory.mktemp("report")
    meta = __import__("json").loads((SAMPLE / "labels.json").read_text())
    res = jobs.validate(SAMPLE / "labels", format="labels", labels=meta["labels"], min_island=4,
                        names=meta["names"], images=SAMPLE / "images", report=d / "report.html",
                        scheduler="synchronous")
    assert res.problems and res.errors
    return d / "report.html"


def test_report_is_self_contained(report):
    html = report.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|file:)""", html)
    assert "<script" not in html
    assert html.count('src="data:image/png;base64,') >= 1 + 4  # the histogram and the thumbnails


def test_report_renders_in_chromium(report, tmp_path):
    browser = _chromium()
    shot = tmp_path / "shot.png"
    r = _run(browser, "--window-size=1100,1600", f"--screenshot={shot}", report.as_uri())
    assert shot.is_file(), r.stderr[-2000:]
    console = [line for line in r.stderr.splitlines() if ":CONSOLE" in line]
    assert not console, console
    from PIL import Image

    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert img.shape[0] >= 1000 and img.std() > 20  # not blank: text, tables, plots
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 200  # the class colours and the photos


def test_report_images_decode_in_chromium(report, tmp_path):
    """Every <img> of the page decodes (a copy of the page with a checking script, read via --dump-dom)."""
    browser = _chromium()
    page = tmp_path / "check.html"
    check = ("<script>window.addEventListener('load',()=>{const i=[...document.images];"
             "const bad=i.filter(x=>!x.complete||x.naturalWidth===0);const p=document.createElement('pre');"
             "p.id='maskcore-check';p.textContent='images='+i.length+' broken='+bad.length;"
             "document.body.appendChild(p);});</script>")
    page.write_text(report.read_text().replace("</body>", check + "</body>"))
    r = _run(browser, "--virtual-time-budget=5000", "--dump-dom", page.as_uri())
    m = re.search(r'<pre id="maskcore-check">images=(\d+) broken=(\d+)</pre>', r.stdout)
    assert m, r.stdout[-1000:] + r.stderr[-1000:]
    assert int(m.group(1)) >= 5 and m.group(2) == "0"
