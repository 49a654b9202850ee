"""Every page of the documentation runs as written (see ``docs_harness``).

One test per page: its commands run in order in one sandbox, and the test fails
with every block whose output differs from what the page shows, each with the
page's file and line and where the output stops fitting.

The pages are independent (each has its own sandbox), so they run side by side,
one per processor, from the first test on; each test waits for its own page.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from docs_harness import Failure, Sandbox, parse_page, run_page

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("**/*.md"),
                *(ROOT / "examples").glob("**/*.md")])


def _run(page: Path, template: Path, base: Path) -> list[Failure]:
    return run_page(parse_page(page), Sandbox.from_template(template, base))


def _commands(page: Path) -> int:
    """How much a page runs, roughly: its prompts and Python blocks."""
    text = page.read_text(encoding="utf-8")
    return text.count("\n$ ") + text.count("```python")


Runs = dict[Path, Future[list[Failure]]]


@pytest.fixture(scope="session")
def page_runs(request: pytest.FixtureRequest, template: Path,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    """Start every selected page at once, the busiest first."""
    selected = [item.callspec.params["page"] for item in request.session.items
                if getattr(item, "callspec", None) is not None
                and "page" in item.callspec.params]
    pool = ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1))
    runs = {page: pool.submit(_run, page, template, tmp_path_factory.mktemp("page"))
            for page in sorted(selected, key=_commands, reverse=True)}
    yield runs
    pool.shutdown(cancel_futures=True)


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_page_runs_as_written(page: Path, page_runs: Runs) -> None:
    failures = page_runs[page].result()
    if failures:
        pytest.fail("\n\n".join(f.render(page.relative_to(ROOT)) for f in failures),
                    pytrace=False)
