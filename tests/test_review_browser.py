"""The review page in a real browser: headless Chromium (Debian's `chromium`, which .ci/run
installs) loads it from a file, and the rendered DOM must hold the page's key content with not one
console message: no script error, and no fetch the page's Content-Security-Policy refused (it
allows nothing but inline styles and `data:` images, so anything fetched would be reported).
A control page with a failing script shows that console errors are caught at all."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from conftest import run_cli

pytest.importorskip("jinja2")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no headless browser: `chromium` is not installed "
                                                         "(.ci/run installs it with apt-get)")

TEXT = "個別規程 テスト\n\n第 1 条(品目)\n\n本サービスには、次の品目があります。\n\n第 2 条(席数)\n\n一の契約の席数の上限は {cap} とします。\n"
SPEC = '''tariff t "テストサービス"
  source "{source}"
contract svc "サービス契約" @第1条 {{
  dimension item "品目" @第1条 {{ a "A 型" b "B 型" }}
  quantity seats "席数" @第2条
}}
rule r_cap @第2条 {{ require seats <= {cap}  ja "席数の上限は {cap} です。" en "At most {cap} seats." }}
'''


def chromium(tmp_path, url: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--enable-logging=stderr", "--v=0", *extra, url],
        capture_output=True, text=True, timeout=240)


def console(stderr: str) -> list[str]:
    """The page's console messages in Chromium's log (`INFO:CONSOLE(…)` lines)."""
    return [line for line in stderr.splitlines() if re.search(r":CONSOLE[:(]", line) or "Uncaught" in line]


@pytest.fixture
def review_page(tmp_path, monkeypatch):
    monkeypatch.setenv("TARIFFCHECK_SOURCES", str(tmp_path))
    specs = []
    for name, cap in (("old", 3), ("new", 4)):
        (tmp_path / f"t_{name}.txt").write_text(TEXT.format(cap=cap), encoding="utf-8")
        (tmp_path / f"t_{name}.tariff").write_text(SPEC.format(source=f"t_{name}.txt", cap=cap), encoding="utf-8")
        specs.append(str(tmp_path / f"t_{name}.tariff"))
    base = tmp_path / "base.jsonl"
    base.write_text(json.dumps({"request": "new", "contracts": [{"id": "k9", "contract": "svc", "item": "b",
                                                                "seats": 4}]}) + "\n", encoding="utf-8")
    page = tmp_path / "review.html"
    # backwards, so that the page has broken contracts too
    code, _, err = run_cli(["review", specs[1], specs[0], "--contracts", str(base), "-o", str(page)])
    assert code == 1 and err == ""
    return page


def test_the_browser_catches_console_errors_at_all(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><p>x</p><script>notDefined()</script>", encoding="utf-8")
    got = chromium(tmp_path, bad.as_uri(), "--dump-dom")
    assert any("Uncaught ReferenceError" in line for line in console(got.stderr)), got.stderr[-2000:]


def test_the_review_page_renders_its_key_content_without_console_errors(tmp_path, review_page):
    got = chromium(tmp_path, review_page.as_uri(), "--dump-dom")
    assert got.returncode == 0, got.stderr[-2000:]
    assert console(got.stderr) == []
    dom = got.stdout
    summary = dom[dom.index('<section id="summary">'):]
    assert re.search(r'<div class="n">異なる</div>\s*意味は同じか', summary)
    assert re.search(r'<div class="n">1</div>\s*種類の申込みが新たに拒否', summary)
    assert len(re.findall(r"<rect ", summary[:summary.index("</section>")])) == 1  # one rule, one bar
    assert "一の契約の席数の上限は <del>4</del> とします。" in dom and "一の契約の席数の上限は <ins>3</ins> とします。" in dom
    assert "<caption>サービス契約 (c0)</caption>" in dom and "<th>席数</th>" in dom
    assert '<section id="contracts">' in dom and "k9" in dom and "1 件の契約のうち 1 件" in dom


def test_the_review_page_makes_a_screenshot(tmp_path, review_page):
    shot = tmp_path / "review.png"
    got = chromium(tmp_path, review_page.as_uri(), f"--screenshot={shot}", "--window-size=1200,1600",
                   "--hide-scrollbars")
    assert got.returncode == 0 and console(got.stderr) == [], got.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000  # a page, not a blank image
