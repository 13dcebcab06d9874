"""The dashboard: one self-contained HTML file, opened in a real Chromium.

The browser tests drive Debian's Chromium (``AIGOV_CHROMIUM``, set by ``.ci/run``) with
Playwright, which downloads nothing when given ``executable_path``. Without it they skip;
the file-level tests (self-contained, CSP, escaping, masking, size) always run.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gate_repo as g
import pytest
from conftest import EXAMPLES, ROOT, WriteRepo, invoke

AS_OF = "2027-12-10"  # the EU AI Act's Annex III obligations apply (Digital Omnibus)
CHROMIUM = os.environ.get("AIGOV_CHROMIUM") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else ""
)
needs_browser = pytest.mark.skipif(
    not CHROMIUM, reason="set AIGOV_CHROMIUM (.ci/run installs Debian's chromium)"
)
PROBE = "<script>alert('xss')</script>"

FRAMEWORK = f"""\
apiVersion: aigov/v1
kind: Framework
metadata: {{name: acme-probe}}
spec:
  title: "Acme {PROBE} rules"
  version: "1"
  clauses:
    - {{clause_number: P-1, title: "{PROBE}"}}
    - {{clause_number: P-2, title: Owners are named}}
"""


def dashboard(repo: Path, out: Path, *args: str) -> str:
    done = invoke("report", "html", "--repo", str(repo), "--as-of", AS_OF, "-o", str(out), *args)
    assert done.exit_code == 0, done.output
    return out.read_text(encoding="utf-8")


def _probe_repo(write_repo: WriteRepo) -> Path:
    files = g.repo_files({"frameworks/probe.yaml": FRAMEWORK})
    files[".aigov.yaml"] = str(files[".aigov.yaml"]) + "frameworks: [eu-ai-act, acme-probe]\n"
    owner = "owner: lena.martin@acme-bank.example"
    files["models/scorer.yaml"] = str(files["models/scorer.yaml"]).replace("owner: lena", owner)
    return write_repo(files)


def test_the_file_is_self_contained_and_its_csp_admits_only_its_own_code(tmp_path: Path) -> None:
    html = dashboard(EXAMPLES / "credit-scoring", tmp_path / "d.html")
    assert not re.search(r"<(link|img|iframe|object|embed)\b", html)
    assert not re.search(r"\b(src|srcset)=", html)
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp is not None and "default-src 'none'" in csp.group(1)
    for tag in ("style", "script"):
        body = re.search(rf"<{tag}>(.*?)</{tag}>", html, re.S)
        assert body is not None
        digest = base64.b64encode(hashlib.sha256(body.group(1).encode()).digest()).decode()
        assert f"{tag}-src 'sha256-{digest}'" in csp.group(1)
    assert "unsafe-inline" not in csp.group(1)
    assert "Gate <strong>passed</strong> at merge, as of 2027-12-10" in html
    assert "credit-scoring@2.3.0" in html and "Metric trends over the test runs" in html
    assert 'aria-label="auc: 0.774, 0.781, 0.7931 (needs auc &gt;= 0.75)"' in html  # 3 runs


def test_text_from_documents_is_escaped_and_personal_data_masked(
    write_repo: WriteRepo, tmp_path: Path
) -> None:
    html = dashboard(_probe_repo(write_repo), tmp_path / "d.html")
    assert PROBE not in html
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in html
    assert "lena.martin@acme-bank.example" not in html
    assert html.count("<script>") == 1  # ours


def test_gate_writes_it_too_and_links_findings_to_the_ci_web_ui(
    write_repo: WriteRepo, tmp_path: Path
) -> None:
    repo = write_repo(g.repo_files({"tests/run-2.0.0.yaml": g.run(auc=0.7)}))
    out = tmp_path / "gate.html"
    env = {
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_REPOSITORY": "acme/governance",
        "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
    }
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        done = invoke("gate", "--repo", str(repo), "--as-of", AS_OF, "--output", f"html={out}")
    assert done.exit_code == 1
    html = out.read_text(encoding="utf-8")
    assert "Why it is blocked" in html
    link = "https://github.example/acme/governance/blob/0123456789abcdef0123456789abcdef01234567/"
    assert f'href="{link}tests/run-2.0.0.yaml#L14"' in html
    # A link never carries what is not http(s) and a commit id.
    from aigov_gate.app.gate import web_url

    assert web_url({**env, "GITHUB_SERVER_URL": "javascript:alert(1)//"}) == ""
    assert web_url({**env, "GITHUB_SHA": "main"}) == ""


def test_each_model_shows_its_assessment_sign_off_and_waivers(
    write_repo: WriteRepo, tmp_path: Path
) -> None:
    waiver = g.waiver("metric.disparity", "2027-12-31")
    repo = write_repo(g.repo_files({"waivers/w.yaml": waiver}))
    html = dashboard(repo, tmp_path / "d.html")
    assert "Sign-off (recorded)</dt><dd>satisfied; needs high risk needs 2 approvals" in html
    assert "approved by miguel (risk_approver), sam (security_admin)" in html
    assert re.search(r"risk high, assessed \d{4}-\d{2}-\d{2}, next review", html)
    assert "<td>w</td><td><code>metric.disparity</code></td><td>2027-12-31</td><td>21</td>" in html


def test_fifty_models_by_eighty_clauses_stays_under_a_megabyte(
    write_repo: WriteRepo, tmp_path: Path
) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import dashboard_repo  # type: ignore[import-not-found]  # what the bench times

    repo = write_repo(dict(dashboard_repo(50, 80)))
    html = dashboard(repo, tmp_path / "big.html")
    size = len(html.encode())
    assert html.count('data-model="m-049@1.0.0"') >= 80
    assert size <= 1_000_000, f"{size} bytes"


# -- in a real browser ----------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM:
        pytest.skip("set AIGOV_CHROMIUM (.ci/run installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    args = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=args)
        yield b
        b.close()


class Opened:
    """A page with everything that could go wrong recorded."""

    def __init__(self, browser: Any, path: Path, javascript: bool = True) -> None:
        self.context = browser.new_context(
            java_script_enabled=javascript, viewport={"width": 1300, "height": 900}
        )
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", self._dialog)
        self.page.add_init_script(
            "window.__csp = []; document.addEventListener('securitypolicyviolation',"
            " function (e) { window.__csp.push(e.violatedDirective + ' ' + e.blockedURI); });"
        )
        self.url = path.resolve().as_uri()
        self.page.goto(self.url)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def visible_rows(self, framework: str) -> list[str]:
        rows = self.page.locator(f'section[data-framework="{framework}"] tbody tr:visible th')
        found: list[str] = rows.evaluate_all("t => t.map(h => h.firstChild.textContent.trim())")
        return found

    def close(self) -> None:
        self.context.close()


@needs_browser
def test_the_example_opens_with_no_error_request_or_csp_violation(
    browser: Any, tmp_path: Path
) -> None:
    path = tmp_path / "d.html"
    dashboard(EXAMPLES / "credit-scoring", path)
    page = Opened(browser, path)
    assert page.errors == []
    assert page.requests == [page.url]  # the file itself, nothing else
    assert page.page.evaluate("window.__csp") == []
    assert page.page.locator("#filters").is_visible()  # the script ran
    assert "82 clause row(s) shown" in page.page.inner_text("#f-count")
    shots = Path(os.environ.get("AIGOV_ARTIFACTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    page.page.screenshot(path=str(shots / "dashboard.png"), full_page=True)
    assert (shots / "dashboard.png").stat().st_size > 10_000
    page.close()


@needs_browser
def test_filters_change_the_visible_rows(
    browser: Any, write_repo: WriteRepo, tmp_path: Path
) -> None:
    path = tmp_path / "d.html"
    dashboard(_probe_repo(write_repo), path)
    page = Opened(browser, path)
    p = page.page
    assert page.visible_rows("acme-probe") == ["P-1", "P-2"]
    all_eu = page.visible_rows("eu-ai-act")
    p.select_option("#f-framework", "acme-probe")
    assert page.visible_rows("eu-ai-act") == [] and page.visible_rows("acme-probe") == [
        "P-1",
        "P-2",
    ]
    p.select_option("#f-framework", "")
    p.fill("#f-text", "art. 10")
    assert page.visible_rows("eu-ai-act") == ["Art. 10"]
    assert page.visible_rows("acme-probe") == []
    p.fill("#f-text", "")
    p.select_option("#f-status", "compliant")
    compliant = page.visible_rows("eu-ai-act")
    assert compliant and len(compliant) < len(all_eu)
    cells = p.locator('section[data-framework="eu-ai-act"] tbody tr:visible td:visible')
    assert all(s == "compliant" for s in cells.evaluate_all("t => t.map(c => c.dataset.status)"))
    p.select_option("#f-status", "")
    assert page.visible_rows("eu-ai-act") == all_eu
    # keyboard only: Tab to the framework filter, arrow to an option
    p.focus("#f-model")
    p.keyboard.press("Shift+Tab")
    assert p.evaluate("document.activeElement.id") == "f-framework"
    p.keyboard.press("ArrowDown")
    assert p.evaluate("document.getElementById('f-framework').value") != ""
    # the probe in a title is text: no dialog, and it reads as written
    assert page.dialogs == [] and page.errors == []
    assert PROBE in p.inner_text('section[data-framework="acme-probe"] tbody')
    page.close()


@needs_browser
def test_the_static_content_works_without_javascript(browser: Any, tmp_path: Path) -> None:
    path = tmp_path / "d.html"
    dashboard(EXAMPLES / "credit-scoring", path)
    page = Opened(browser, path, javascript=False)
    p = page.page
    assert not p.locator("#filters").is_visible()  # controls that could not work stay hidden
    assert len(page.visible_rows("eu-ai-act")) > 60
    assert p.locator("svg[role=img]").count() >= 5
    assert p.get_by_role("table", name=re.compile("eu-ai-act: derived status")).count() == 1
    page.close()
