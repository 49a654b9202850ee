"""The documentation harness itself: how it reads pages and compares outputs, and that
a page whose output changed fails."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from docs_harness import (
    Block,
    DocError,
    Sandbox,
    matches,
    parse_page,
    run_page,
    session_commands,
)

ROOT = Path(__file__).resolve().parents[2]


def _page(text: str) -> list[Block]:
    return list(parse_page(Path("page.md"), text).blocks())


# -- matching ---------------------------------------------------------------------------


def test_lines_must_be_equal_but_trailing_spaces_do_not_count() -> None:
    assert matches("a\nb", "a  \nb\n\n")
    assert not matches("a\nb", "a\nc")
    assert not matches("a", "a\nb"), "output the page does not show is a difference"
    assert not matches("a\nb", "a")


def test_three_dots_in_a_line_match_any_text() -> None:
    assert matches("Politik: slagelse-2019 (indhold ...). Dato", "Politik: slagelse-2019 (indhold "
                   "fd3cc42fd613). Dato")
    assert matches("took ... s", "took 0.5 s")
    assert not matches("took ... s", "took 0.5 ms!")
    assert matches("a...b...c", "a-x-b-y-c")
    assert not matches("a...b...c", "a-x-c-y-b")


def test_a_line_of_three_dots_matches_any_number_of_lines() -> None:
    assert matches("first\n...\nlast", "first\nlast")
    assert matches("first\n...\nlast", "first\n1\n2\n3\nlast")
    assert matches("  ...", "x\ny")
    assert not matches("first\n...\nlast", "first\n1\nlast but one")


def test_an_excerpt_matches_inside_the_output() -> None:
    assert matches("b\nc", "a\nb\nc\nd", excerpt=True)
    assert not matches("b\nd", "a\nb\nc\nd", excerpt=True)
    assert matches("b\n...\nd", "a\nb\nc\nd", excerpt=True)


def test_a_line_of_progress_dots_does_not_backtrack() -> None:
    dots = "." * 72 + " [ 49%]"
    assert matches(dots, "." * 72 + " [ 49%]")
    assert not matches(dots, "x" * 10_000)


# -- reading pages ----------------------------------------------------------------------


def test_a_session_is_split_into_commands_with_their_output() -> None:
    block = _page("""```
$ udbudsregler decide policies/x facts.json --on 2019-02-01 \\
    --explain
line 1
line 2
$ cat > /tmp/x <<'EOF'
$ not a command
EOF
$ true
$
```
""")[0]
    commands = session_commands(block)
    assert [c.text.splitlines()[0] for c in commands] == [
        "udbudsregler decide policies/x facts.json --on 2019-02-01 \\", "cat > /tmp/x <<'EOF'",
        "true"]
    assert commands[0].expected == "line 1\nline 2"
    assert commands[1].text.splitlines()[1] == "$ not a command", "a here-document is input"
    assert commands[2].expected == "", "`$` alone shows an empty output"
    assert commands[0].line == 2


def test_a_directive_belongs_to_the_block_after_it() -> None:
    blocks = _page("""text

<!-- doctest: skip a synopsis -->
```sh
udbudsregler check POLICY
```

<!-- doctest: setup
copy a b
-->
```
$ ls
```
""")
    assert blocks[0].directive("skip") is not None
    assert blocks[0].directive("skip").argument == "a synopsis"  # type: ignore[union-attr]
    assert blocks[1].directives == ()
    assert blocks[0].lines == ("udbudsregler check POLICY",)


@pytest.mark.parametrize("text, message", [
    ("<!-- doctest: skip -->\n```\nx\n```\n", "needs a reason"),
    ("<!-- doctest: sikp why -->\n```\nx\n```\n", "unknown doctest directive"),
    ("<!-- doctest: output -->\n\nsome text\n```\nx\n```\n", "directly before a fenced block"),
    ("<!-- doctest: setup\ncopy a b\n", "not closed"),
    ("```\nx\n", "not closed"),
])
def test_a_malformed_page_is_an_error(text: str, message: str) -> None:
    with pytest.raises(DocError, match=message):
        parse_page(Path("page.md"), text)


def test_an_indented_block_loses_its_indentation() -> None:
    block = _page("- item\n\n  ```yaml\n  a: 1\n    b: 2\n  ```\n")[0]
    assert block.lines == ("a: 1", "  b: 2")


# -- running pages ----------------------------------------------------------------------


def _run(text: str, template: Path, tmp_path: Path) -> list[str]:
    page = parse_page(tmp_path / "page.md", text)
    return [f.what for f in run_page(page, Sandbox.from_template(template, tmp_path / "box"))]


def test_a_page_with_the_right_output_passes(template: Path, tmp_path: Path) -> None:
    assert _run("""```
$ udbudsregler check policies/slagelse-2019
policies/slagelse-2019: ok (stages run: ...)
```
""", template, tmp_path) == []


def test_a_changed_count_or_message_fails_the_page(template: Path, tmp_path: Path) -> None:
    failures = _run("""```
$ udbudsregler test policies/slagelse-2019 --examples 0
policies/slagelse-2019: 53 of 53 cases passed (ok)
$ udbudsregler check policies/slagelse-2019
policies/slagelse-2019: fine
```
""", template, tmp_path)
    assert failures == ["$ udbudsregler test policies/slagelse-2019 --examples 0",
                        "$ udbudsregler check policies/slagelse-2019"]


def test_tmp_is_private_to_the_page_and_shown_as_tmp(template: Path, tmp_path: Path) -> None:
    assert _run("""<!-- doctest: setup
write /tmp/x/facts.txt "hello\\n"
-->
```
$ cat /tmp/x/facts.txt && ls /tmp/x/facts.txt
hello
/tmp/x/facts.txt
```
""", template, tmp_path) == []
    assert (tmp_path / "box" / "tmp" / "x" / "facts.txt").is_file()


def test_a_page_runs_as_at_a_terminal_even_on_a_ci_machine(
        template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a CI machine pytest prints a failure's whole message in its short summary and
    hypothesis loads its CI profile; a page shows what an author sees, so its commands
    run without the variables that say CI."""
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("BUILD_NUMBER", "7")
    monkeypatch.setenv("TF_BUILD", "true")
    assert _run("""```
$ python -c "import os; print([k for k in ('CI', 'BUILD_NUMBER', 'TF_BUILD') if os.getenv(k)])"
[]
```
""", template, tmp_path) == []


def test_files_quotes_and_replacements(template: Path, tmp_path: Path) -> None:
    failures = _run("""<!-- doctest: file /tmp/a.txt -->
```
one
two
three
```

<!-- doctest: replace /tmp/a.txt 2 -->
```
TWO
```

<!-- doctest: quote /tmp/a.txt -->
```
one
...
three
```

<!-- doctest: quote /tmp/a.txt -->
```
two
```
""", template, tmp_path)
    assert len(failures) == 1 and "does not quote /tmp/a.txt" in failures[0]


def test_a_setup_replacement_must_find_its_text_once(template: Path, tmp_path: Path) -> None:
    failures = _run("""<!-- doctest: setup
copy policies/slagelse-2019 /tmp/p
replace /tmp/p/maalgruppe.yaml "value: 30" "value: 35"
replace /tmp/p/maalgruppe.yaml "no such text" "x"
-->
""", template, tmp_path)
    assert failures == ["setup: `no such text` occurs 0 times in /tmp/p/maalgruppe.yaml, not once"]


def test_output_blocks_are_parts_of_a_commands_output(template: Path, tmp_path: Path) -> None:
    failures = _run("""<!-- doctest: output udbudsregler stages -->
```
validate ...
...
parse ...
```

<!-- doctest: output udbudsregler stages -->
```
parse ...
...
validate ...
```
""", template, tmp_path)
    assert failures == ["the block is not part of the output of `udbudsregler stages`"]


def test_python_blocks_run(template: Path, tmp_path: Path) -> None:
    failures = _run("""```python
import udbudsregler as ur
assert ur.load_policy("policies/slagelse-2019").id == "slagelse-2019"
```

```python
>>> 1 + 1
2
```

```python
>>> 1 + 1
3
```
""", template, tmp_path)
    assert len(failures) == 1 and "the Python block fails" in failures[0]


def test_a_listing_may_not_fail_on_bad_input(template: Path, tmp_path: Path) -> None:
    failures = _run("""```sh
udbudsregler check policies/slagelse-2019
udbudsregler decide policies/slagelse-2019 no-such-file.json --on 2019-02-01
```
""", template, tmp_path)
    assert len(failures) == 1
    assert "no-such-file.json" in failures[0] and failures[0].endswith(": exit 2")


def test_a_page_cannot_install_packages(template: Path, tmp_path: Path) -> None:
    """The sandbox's `python` is the test run's interpreter: `pip` would change the
    environment the tests run in, so a page's `pip` (or `python -m pip`) is refused."""
    failures = _run("""```sh
pip install --no-index no-such-package
python -m pip install --no-index no-such-package
.venv/bin/python -m pip install --no-index no-such-package
python -c "print('python itself runs')"
```
""", template, tmp_path)
    assert [f.rsplit(": ", 1)[-1] for f in failures] == ["exit 126"] * 3


# -- the generated part of errors.md ------------------------------------------------------


def test_the_table_of_codes_in_errors_md_is_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("errors_table",
                                                  ROOT / "docs" / "tools" / "errors_table.py")
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    page = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    assert tool.generate() in page, (
        "docs/errors.md is out of date: run .venv/bin/python docs/tools/errors_table.py")
