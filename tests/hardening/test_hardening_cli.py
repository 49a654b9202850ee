"""Issue 12, the command line under hostile and careless use: the right exit code (never
70), no hang, no traceback. Items 10, 12, 13, 16, 17, 23 and 24."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from udbudsregler.analysis import population
from udbudsregler.cli import main as cli
from udbudsregler.cli.main import EXIT_FAILED, EXIT_INPUT, EXIT_INTERNAL, EXIT_OK, main
from udbudsregler.testing import cases

ROOT = Path(__file__).resolve().parents[2]
SLAGELSE = ROOT / "policies" / "slagelse-2019"
NEXT_ROUND = ROOT / "examples" / "next-round"
CITIZEN = ROOT / "examples" / "data" / "citizen.json"
REFERRAL = {"referral": {"id": "R-02", "start": "2019-02-01", "package": "individuelt_forloeb",
                         "area": "aktivitetsparate", "supplier": "marselisborg"},
            "outcomes": [{"kind": "selvforsoergende", "from": "2020-01-16", "to": None}]}


def run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def process(*argv: str | Path, shell: str = '"$@"', env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    """The real command line in a process, through `sh -c SHELL` (to close or redirect its
    standard streams); the timeout turns a hang into a failure, not a stuck test run."""
    command = [sys.executable, "-m", "udbudsregler", *map(str, argv)]
    return subprocess.run(["sh", "-c", shell, "sh", *command], capture_output=True,
                          timeout=timeout, cwd=ROOT, env={**os.environ, **(env or {})},
                          check=False)


@pytest.fixture()
def broken(tmp_path: Path) -> Path:
    folder = tmp_path / "broken"
    shutil.copytree(SLAGELSE, folder)
    path = folder / "maalgruppe.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("when: age >= min_age",
                                                             "when: agee >= min_age"), "utf-8")
    return folder


def referral_file(tmp_path: Path) -> Path:
    path = tmp_path / "referral.json"
    path.write_text(json.dumps(REFERRAL), encoding="utf-8")
    return path


# -- item 10: dates at the ends of the calendar -----------------------------------------


def test_12_10_settle_since_the_first_day_of_the_calendar(tmp_path: Path) -> None:
    code, out, err = run("settle", SLAGELSE, referral_file(tmp_path), "--until", "2020-12-31",
                         "--since", "0001-01-01")
    assert (code, err) == (EXIT_OK, "") and "I alt" in out
    whole = run("settle", SLAGELSE, referral_file(tmp_path), "--until", "2020-12-31")[1]
    assert out.splitlines()[2:] == whole.splitlines()[2:]  # the same lines, only `since` differs


@pytest.mark.parametrize("on", ["9999-12-31", "0001-01-01"])
def test_12_10_diff_on_the_ends_of_the_calendar(on: str) -> None:
    code, _, err = run("diff", SLAGELSE, NEXT_ROUND, "--on", on, "--citizens", "20",
                         "--scenarios", "5", "--examples", "1")
    assert code == EXIT_OK, err
    assert "internal error" not in err


@pytest.mark.parametrize("until", ["9999-12-31", "0001-01-01"])
def test_12_10_settle_until_the_ends_of_the_calendar(tmp_path: Path, until: str) -> None:
    code, _, err = run("settle", SLAGELSE, referral_file(tmp_path), "--until", until)
    assert code in (EXIT_OK, EXIT_INPUT) and "internal error" not in err


# -- item 12: a folder without permission to look inside --------------------------------


def test_12_12_test_on_a_folder_it_may_not_search(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "p"
    shutil.copytree(SLAGELSE, folder)
    real_stat = os.stat

    def stat(path: object, *args: object, **kwargs: object) -> os.stat_result:
        # As a folder with read but no execute permission: its names can be listed, but
        # nothing inside it can be looked at.
        if str(path).startswith(str(folder) + os.sep):
            raise PermissionError(13, "Permission denied", str(path))
        return real_stat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", stat)
    code, _, err = run("test", folder / "policy.yaml")
    assert code == EXIT_INPUT
    assert err == f"error: {folder / 'policy.yaml'}: cannot be read (permission denied)\n"
    for target in (folder, tmp_path):
        code, _, err = run("test", target)
        assert code == EXIT_INPUT
        assert err == f"error: {folder}: cannot be read (permission denied)\n"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root may look inside any folder")
def test_12_12_test_on_a_folder_without_execute_permission(
        tmp_path: Path) -> None:  # pragma: no cover - not as root
    folder = tmp_path / "p"
    shutil.copytree(SLAGELSE, folder)
    folder.chmod(0o600)
    try:
        code, _, err = run("test", folder)
        assert code == EXIT_INPUT and "cannot be read (permission denied)" in err
        code, out, _ = run("check", folder)
        assert code == EXIT_FAILED and "cannot be read: permission denied" in out
    finally:
        folder.chmod(0o700)


# -- item 13: standard output closed or full, an ASCII terminal, standard error closed ---


def test_12_13_stdout_closed() -> None:
    result = process("check", SLAGELSE, shell='exec "$@" >&-')
    assert result.returncode == EXIT_INPUT
    assert result.stderr == b"error: the output cannot be written: it is closed\n"


def test_12_13_stdout_closed_keeps_a_failed_policy_failed(broken: Path) -> None:
    assert process("check", broken, shell='exec "$@" >&-').returncode == EXIT_FAILED


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
def test_12_13_stdout_to_a_full_device(broken: Path) -> None:
    result = process("check", SLAGELSE, shell='exec "$@" > /dev/full')
    assert result.returncode == EXIT_INPUT
    assert b"no space left on device" in result.stderr and b"internal" not in result.stderr
    assert process("check", broken, shell='exec "$@" > /dev/full').returncode == EXIT_FAILED


def test_12_13_explain_to_an_ascii_terminal() -> None:
    result = process("decide", SLAGELSE, CITIZEN, "--on", "2019-02-01", "--explain",
                     env={"PYTHONIOENCODING": "ascii"})
    assert result.returncode == EXIT_OK, result.stderr
    assert b"Afg\\xf8relse" in result.stdout  # Afgørelse, escaped
    assert result.stderr == b""


def test_12_13_stderr_closed() -> None:
    result = process("decide", SLAGELSE, "no-such-facts.json", "--on", "2019-02-01",
                     shell='exec "$@" 2>&-')
    assert result.returncode == EXIT_INPUT
    result = process("decide", SLAGELSE, "no-such-facts.json", "--on", "2019-02-01",
                     shell='exec "$@" >&- 2>&-')
    assert result.returncode == EXIT_INPUT


def test_12_13_in_process_output_that_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    class Full(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError(28, "No space left on device")

    err = io.StringIO()
    assert main(["check", str(SLAGELSE)], out=Full(), err=err) == EXIT_INPUT
    assert err.getvalue() == "error: the output cannot be written: no space left on device\n"
    assert main(["stages"], out=io.StringIO(), err=Full()) == EXIT_OK


# -- item 16: input without end --------------------------------------------------------


#: In a process limited to 1 GB of memory: a regression must fail, not take the machine.
LIMITED = 'ulimit -v 1048576 2>/dev/null; exec "$@"'


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_12_16_facts_from_a_file_without_end() -> None:
    result = process("decide", SLAGELSE, "/dev/zero", "--on", "2019-02-01", shell=LIMITED,
                     timeout=60)
    assert result.returncode == EXIT_INPUT
    assert result.stderr.decode() == (f"error: /dev/zero: larger than the limit of "
                                      f"{cli.MAX_INPUT_BYTES} bytes for an input file\n")


def test_12_16_facts_on_stdin_beyond_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "MAX_INPUT_BYTES", 1000)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b" " * 1001 + b"{}")))
    code, _, err = run("decide", SLAGELSE, "-", "--on", "2019-02-01")
    assert code == EXIT_INPUT and "larger than the limit of 1000 bytes" in err


def test_12_16_diff_with_a_billion_citizens_is_refused() -> None:
    result = process("diff", SLAGELSE, NEXT_ROUND, "--citizens", "1000000000", shell=LIMITED,
                     timeout=60)
    assert result.returncode == EXIT_INPUT
    assert result.stderr.startswith(b"error: --citizens must be at most 100,000")
    code, _, err = run("diff", SLAGELSE, NEXT_ROUND, "--scenarios", "100001")
    assert code == EXIT_INPUT and "--scenarios must be at most 100,000" in err


def test_12_16_a_population_file_beyond_the_limit(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """`diff --population` reads the file a chunk at a time: its size has no limit (it had
    one of 256 MiB), a line has (`MAX_ROW_BYTES`): a longer one is a bad row, not read.
    `read_population`, which holds the whole file, keeps the limit of a file."""
    monkeypatch.setattr(population, "MAX_POPULATION_BYTES", 100)
    monkeypatch.setattr(population, "MAX_ROW_BYTES", 100)
    path = tmp_path / "population.jsonl"
    path.write_text(CITIZEN.read_text(encoding="utf-8").replace("\n", " ") + "\n", "utf-8")
    code, out, err = run("diff", SLAGELSE, NEXT_ROUND, "--citizens", "0", "--scenarios", "0",
                         "--population", path)
    assert code == EXIT_INPUT and "1 bad row in" in err
    assert "bad row, line 1: a line longer than 100 bytes (not read)" in out
    with pytest.raises(population.PopulationError, match="larger than the limit of 100 bytes"):
        population.read_population(path)


# -- item 17: a pipe in the policy folder; `test /` ------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_12_17_check_does_not_wait_on_a_fifo_in_the_policy_folder(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    shutil.copytree(SLAGELSE, folder)
    (folder / "invarianter.yaml").unlink()
    os.mkfifo(folder / "invarianter.yaml")
    result = process("check", folder, timeout=60)
    assert result.returncode == EXIT_FAILED
    assert b"invarianter.yaml` is not a regular file" in result.stdout
    os.mkfifo(tmp_path / "policy.yaml")
    result = process("check", tmp_path / "policy.yaml", timeout=60)
    assert result.returncode == EXIT_FAILED and b"UDB107" in result.stdout


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_12_17_test_does_not_wait_on_a_fifo_among_the_test_cases(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    shutil.copytree(SLAGELSE, folder)
    os.mkfifo(folder / "tests" / "zz.yaml")
    result = process("test", folder, "--examples", "0", timeout=60)
    assert result.returncode == EXIT_FAILED
    assert b"UDB801: the test file cannot be read: it is not a regular file" in result.stdout


def test_12_17_test_does_not_walk_the_whole_file_system(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cases, "MAX_SEARCH_FOLDERS", 20)
    for i in range(30):
        (tmp_path / f"folder{i:02}").mkdir()
    code, _, err = run("test", tmp_path)
    assert code == EXIT_INPUT
    assert err == (f"error: {tmp_path}: more than 20 folders to search for policies; name "
                   "the policy folders, or a folder closer to them\n")


def test_12_17_test_looks_neither_too_deep_nor_into_hidden_folders(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cases, "MAX_SEARCH_DEPTH", 4)  # a/b/c/slagelse is 4 down
    shutil.copytree(SLAGELSE, tmp_path / "a" / "b" / "c" / "slagelse")
    shutil.copytree(SLAGELSE, tmp_path / ".hidden" / "slagelse")
    shutil.copytree(SLAGELSE, tmp_path / "a" / "b" / "c" / "d" / "deep")
    assert cases.discover_policies([tmp_path]) == [tmp_path / "a" / "b" / "c" / "slagelse"]


# -- item 23: a broken pipe keeps the exit status -------------------------------------


@pytest.mark.parametrize("options", [["--json"], []])
def test_12_23_a_broken_pipe_keeps_the_exit_status(broken: Path, options: list[str]) -> None:
    command = [sys.executable, "-m", "udbudsregler", "check", str(broken), *options]
    reader = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.close()  # the reader goes away before anything is written
    status = reader.wait(timeout=120)
    assert status == EXIT_FAILED
    assert reader.stderr.read() == b""  # a reader that went away is not an error
    reader.stderr.close()


def test_12_23_a_broken_pipe_after_a_good_check_is_success() -> None:
    command = [sys.executable, "-m", "udbudsregler", "check", str(SLAGELSE), "--json"]
    reader = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.close()
    assert reader.wait(timeout=120) == EXIT_OK
    assert reader.stderr.read() == b""
    reader.stderr.close()


# -- item 24: dates on the command line are YYYY-MM-DD ---------------------------------


@pytest.mark.parametrize("text", ["20190201", "2019-W05-5", "2019-02-01T00:00", " 2019-02-01",
                                  "٢٠١٩-٠٢-٠١", "2019-02-30"])
def test_12_24_command_line_dates_are_written_yyyy_mm_dd(tmp_path: Path, text: str) -> None:
    for argv in (["decide", SLAGELSE, CITIZEN, "--on", text],
                 ["settle", SLAGELSE, referral_file(tmp_path), "--until", text],
                 ["settle", SLAGELSE, referral_file(tmp_path), "--until", "2020-12-31",
                  "--since", text],
                 ["diff", SLAGELSE, NEXT_ROUND, "--on", text]):
        code, out, err = run(*argv)
        assert (code, out) == (EXIT_INPUT, ""), argv
        assert "is not a date written as YYYY-MM-DD" in err and "\n" not in err[:-1]


def test_12_internal_errors_are_still_exit_70(monkeypatch: pytest.MonkeyPatch) -> None:
    def bug(*args: object, **kwargs: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(cli, "run_stages", bug)
    code, _, err = run("check", SLAGELSE)
    assert code == EXIT_INTERNAL and err.startswith("internal error: KeyError")
