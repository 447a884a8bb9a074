"""The documentation site: built once, checked statically and in headless Chromium."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections import deque
from pathlib import Path

import pytest
import rdflib

from nervegraph import load_graph
from nervegraph.site import SiteError, build_site
from sitecheck import Browser, chromium_binary, internal_target, non_white_fraction, parse

SECOND_TEXT = (
    "A test article\n\nCauses\n\nIn short: A slipped disc often pinches a nerve. That is all.\n"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, source_file: Path) -> Path:
    """The bundled graph's site, built once (the article text present)."""
    out = tmp_path_factory.mktemp("site") / "site"
    report = build_site(out, source_dirs=[source_file.parent])
    assert report.warnings == []
    return out


def _pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*") if p.suffix in (".html", ".svg"))


def test_site_has_a_page_per_entity_query_and_source(site: Path, local_graph: rdflib.Graph) -> None:
    entities = {
        s
        for s in local_graph.subjects(rdflib.RDF.type, None)
        if str(s).startswith("https://w3id.org/nervegraph/entity/")
    }
    assert len(list((site / "entity").glob("*.html"))) == len(entities) > 100
    from nervegraph.queries import list_queries

    assert len(list((site / "query").glob("*.html"))) == len(list_queries())
    assert (site / "source" / "pinched-nerve-muscle-spasms.html").is_file()
    for name in (
        "index.html",
        "ontology.html",
        "entities.html",
        "queries.html",
        "diagrams.html",
        "style.css",
        "ontology-diagram.svg",
    ):
        assert (site / name).is_file(), name


def test_no_broken_internal_links_and_nothing_remote(site: Path) -> None:
    parsed = {p.resolve(): parse(p) for p in _pages(site)}
    broken = []
    for page, parser in parsed.items():
        assert "script" not in parser.tags, f"{page}: the site needs no JavaScript"
        for tag, url in parser.links:
            target = internal_target(page, url)
            if target is None:
                # absolute URLs: only <a> links to public pages, never a loaded resource
                assert tag == "a", f"{page}: remote resource {url}"
                assert url.startswith(("https://", "http://")), url
                continue
            path, fragment = target
            if not path.is_file():
                broken.append(f"{page.relative_to(site.resolve())}: {url}")
            elif fragment and path in parsed and fragment not in parsed[path].ids:
                broken.append(f"{page.relative_to(site.resolve())}: {url} (no such anchor)")
    assert broken == []


def test_every_entity_page_is_reachable_from_home(site: Path) -> None:
    root = site.resolve()
    seen = {root / "index.html"}
    queue = deque(seen)
    while queue:
        page = queue.popleft()
        if page.suffix not in (".html", ".svg"):
            continue
        for _, url in parse(page).links:
            target = internal_target(page, url)
            if target and target[0].is_file() and target[0] not in seen:
                seen.add(target[0])
                queue.append(target[0])
    missing = {p.resolve() for p in (site / "entity").glob("*.html")} - seen
    assert missing == set()


def test_entity_page_shows_statements_with_marked_quotes_in_context(site: Path) -> None:
    text = (site / "entity" / "herniated-disc.html").read_text(encoding="utf-8")
    assert "<h1>herniated disc</h1>" in text
    # the quote, marked inside its section's paragraph
    assert re.search(
        r'<div class="context">[^<]*Herniated Discs: <mark>When spinal discs bulge or rupture, '
        r"they can press on nearby spinal nerves",
        text,
    )
    assert "https://hpo.jax.org/browse/term/HP:0008441" in text
    assert "https://meshb.nlm.nih.gov/record/ui?ui=D007405" in text
    assert "https://www.icd10data.com/search?s=M51.2" in text
    assert "What points to it" in text and "discectomy" in text
    hedged = (site / "entity" / "lumbar-calf-thigh-contractions.html").read_text(encoding="utf-8")
    assert re.search(r'class="tag hedge">hedge: <a [^>]*>often</a>', hedged)


def test_ontology_page_documents_terms_with_alignments_and_shapes(site: Path) -> None:
    text = (site / "ontology.html").read_text(encoding="utf-8")
    assert 'id="c-Cause"' in text and 'id="p-causes"' in text
    assert "schema:MedicalCause" in text and "schema:causeOf" in text
    assert "A cause must cause at least one condition (ng:causes)." in text
    assert "<svg" in text


def test_query_page_runs_the_query(site: Path) -> None:
    text = (site / "query" / "examples--causes-by-region.html").read_text(encoding="utf-8")
    assert "Run with no parameters" in text and "<table>" in text and "SELECT" in text
    required = (site / "query" / "construct--entity-neighbourhood.html").read_text("utf-8")
    assert "(the first accepted value), because the parameter is required." in required
    assert "The query failed" not in required


def test_build_is_deterministic_across_processes(
    site: Path, tmp_path: Path, source_file: Path
) -> None:
    out = tmp_path / "again"
    env = {**os.environ, "NERVEGRAPH_SOURCE": str(source_file)}
    subprocess.run(
        [sys.executable, "-m", "nervegraph.cli", "docs", "-o", str(out)],
        check=True,
        env=env,
        capture_output=True,
        timeout=300,
    )

    def digest(root: Path) -> dict[str, str]:
        return {
            p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in root.rglob("*")
            if p.is_file()
        }

    assert digest(out) == digest(site)


def test_refuses_a_foreign_directory_and_rebuilds_its_own(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(SiteError, match="not written by nervegraph"):
        build_site(foreign)
    result = subprocess.run(
        [sys.executable, "-m", "nervegraph.cli", "docs", "-o", str(foreign)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2 and result.stderr.startswith("error: ")
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_second_article_is_documented_and_missing_text_shows_quote_alone(
    tmp_path: Path, repo_root: Path
) -> None:
    texts = tmp_path / "texts"
    texts.mkdir()
    (texts / "second.txt").write_text(SECOND_TEXT, encoding="utf-8")
    sha = hashlib.sha256(SECOND_TEXT.encode()).hexdigest()
    ttl = (repo_root / "tests" / "data" / "valid" / "minimal-article.ttl").read_text("utf-8")
    ttl = ttl.replace("0" * 64, sha).replace('"test-article.txt"', '"second.txt"')
    ttl += (
        '\nnge:second-only a ng:Symptom ; skos:prefLabel "second only"@en ;'
        ' rdfs:label "second only"@en ; prov:wasDerivedFrom ngsrc:test-article .\n'
    )
    data = tmp_path / "second.ttl"
    data.write_text(ttl, encoding="utf-8")
    graph = load_graph([repo_root / "data", data])
    out = tmp_path / "site"
    # the first article's text is not in `texts`: its quotes are shown alone
    report = build_site(out, graph=graph, source_dirs=[texts])
    assert any("pinched-nerve-muscle-spasms.txt: text file not found" in w for w in report.warnings)
    assert (out / "entity" / "second-only.html").is_file()
    page = (out / "entity" / "herniated-disc.html").read_text(encoding="utf-8")
    assert re.search(
        r'<div class="context">In short: <mark>A slipped disc often pinches '
        r"a nerve\.</mark> That is all\.</div>",
        page,
    )
    assert '<blockquote class="quote"><mark>When spinal discs bulge or rupture' in page
    source = (out / "source" / "test-article.html").read_text(encoding="utf-8")
    assert "In short: A slipped disc" in source


# ---------------------------------------------------------------- in a real browser


@pytest.fixture(scope="module")
def browser() -> Browser:
    binary = chromium_binary()
    if binary is None:
        message = "chromium is not installed (apt-get install chromium); .ci/run installs it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    instance = Browser(binary)
    yield instance
    instance.close()


@pytest.mark.browser
def test_javascript_is_off_in_the_browser(browser: Browser) -> None:
    browser.open("data:text/html,<title>before</title><script>document.title='ran'</script>")
    assert browser.evaluate("document.title") == "before"


@pytest.mark.browser
@pytest.mark.parametrize(
    "page",
    [
        "index.html",
        "ontology.html",
        "entities.html",
        "queries.html",
        "diagrams.html",
        "entity/herniated-disc.html",
        "entity/ion-flow-disruption.html",
        "query/examples--causes-by-region.html",
        "source/pinched-nerve-muscle-spasms.html",
    ],
)
def test_pages_render_offline_without_javascript(browser: Browser, site: Path, page: str) -> None:
    requests = browser.open((site / page).resolve().as_uri())
    assert all(url.startswith(("file:", "data:")) for url in requests), requests
    assert browser.evaluate("document.scripts.length") == 0
    # the local style sheet applied: the header's dark background
    assert (
        browser.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor")
        == "rgb(29, 36, 51)"
    )
    assert browser.evaluate("document.querySelector('h1').getBoundingClientRect().height") > 10
    # every link the browser resolved stays in the site directory
    hrefs = browser.evaluate(
        "Array.from(document.querySelectorAll('a[href]')).map(a => a.href.baseVal ?? a.href)"
    )
    root = site.resolve().as_uri()
    local = [h for h in hrefs if h.startswith("file:")]
    assert local and all(h.startswith(root) for h in local)


@pytest.mark.browser
def test_diagrams_render_with_size_and_ink(browser: Browser, site: Path) -> None:
    browser.open((site / "diagrams.html").resolve().as_uri())
    rects = browser.evaluate(
        "Array.from(document.querySelectorAll('svg')).map(s => {"
        " const r = s.getBoundingClientRect();"
        " return {x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height}; })"
    )
    assert len(rects) >= 2  # the class diagram and at least one mechanism
    for rect in rects:
        assert rect["width"] > 200 and rect["height"] > 100, rect
    first = rects[0]
    clip = {
        "x": first["x"],
        "y": first["y"],
        "width": min(first["width"], 1200),
        "height": min(first["height"], 800),
    }
    assert non_white_fraction(browser.screenshot(clip)) > 0.03
    # the same drawing as a file of its own
    browser.open((site / "ontology-diagram.svg").resolve().as_uri())
    size = browser.evaluate(
        "(() => { const r = document.documentElement.getBoundingClientRect();"
        " return [r.width, r.height]; })()"
    )
    assert size[0] > 500 and size[1] > 300


@pytest.mark.browser
def test_entity_page_screenshot_is_not_blank(browser: Browser, site: Path) -> None:
    browser.open((site / "entity" / "herniated-disc.html").resolve().as_uri())
    marks = browser.evaluate(
        "Array.from(document.querySelectorAll('.context mark'))"
        ".filter(m => m.getBoundingClientRect().width > 0).length"
    )
    assert marks >= 3
    fraction = non_white_fraction(browser.screenshot())
    assert fraction > 0.05, fraction
