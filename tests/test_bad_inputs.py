"""Every bad input of the catalogue through the real CLI: right exit code, a message
naming the file, the feature and the fix, and no traceback without ``-v``.

The catalogue is data (``tests/bad_inputs/catalogue.py``); each case writes its
bad file(s) into ``tmp_path`` at test time.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bad_inputs.catalogue import CASES, Case, b_weather_gap, b_wrong_layer
from pvsite.cli import main


def _params():
    for case in CASES:
        marks = [pytest.mark.xfail(reason=case.xfail, strict=True)] if case.xfail else []
        yield pytest.param(case, id=case.id, marks=marks)


def invoke(args: list[str]):
    return CliRunner().invoke(main, ["run", *args])


@pytest.mark.parametrize("case", list(_params()))
def test_bad_input(case: Case, tmp_path):
    work = tmp_path / "in"
    work.mkdir()
    args = case.build(work)
    out = tmp_path / "out" / "x.gpkg"
    if "--out" not in args:
        args = [*args, "--out", str(out)]
    result = invoke(args)
    # the temporary folder's name holds the case id: keep it out of the substring checks
    text = result.output.replace(str(tmp_path), "<tmp>")
    # no Python exception escaped the CLI, and none is printed
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in text
    assert "Internal error" not in text, text
    assert result.exit_code == case.exit_code, f"exit {result.exit_code}, expected {case.exit_code}:\n{text}"
    for part in case.expect:
        assert part in text, f"{part!r} not in the message:\n{text}"
    if case.exit_code == 0:
        assert case.check is not None, "a successful case must check its output"
        case.check(out, text)
    else:
        # a failed run leaves no output behind (the refused existing files are the user's)
        assert not out.exists()
        assert not list(out.parent.glob(".*.tmp.gpkg")) if out.parent.exists() else True


def test_catalogue_is_large_enough():
    assert len(CASES) >= 30
    assert sum(c.exit_code == 0 for c in CASES) >= 5  # repaired/rejected-row cases
    assert {c.exit_code for c in CASES} == {0, 2, 3, 4, 5}


def test_failure_messages_have_a_fix():
    """A sample of failures: the message carries the 'Fix:' line of pvsite.errors."""
    import tempfile
    from pathlib import Path

    for build in (b_wrong_layer, b_weather_gap):
        with tempfile.TemporaryDirectory() as d:
            result = invoke([*build(Path(d)), "--out", str(Path(d) / "o.gpkg")])
            assert result.exit_code == 2
            assert "\n解决办法 Fix: " in result.output
            assert "错误 Error（输入文件无法使用 input file cannot be used）\n" in result.output


def test_verbose_shows_the_exception(tmp_path):
    """With -v the error is re-raised (CliRunner keeps it) for the traceback."""
    from pvsite.errors import InputError

    result = invoke([*b_wrong_layer(tmp_path), "--out", str(tmp_path / "o.gpkg"), "-v"])
    assert isinstance(result.exception, InputError)
    assert "buldings" in str(result.exception)


def test_error_messages_are_bilingual():
    """Every error class carries a Chinese headline; zh=/fix_zh= put Chinese before the English."""
    from pvsite import errors

    for cls in (errors.InputError, errors.ConfigError, errors.OutputError, errors.SelectionError):
        assert cls.title_zh != errors.PvsiteError.title_zh and any("\u4e00" <= ch <= "\u9fff" for ch in cls.title_zh)
    exc = errors.InputError("File x does not exist.", "Check the path.", zh="找不到文件 x。", fix_zh="检查路径。")
    assert str(exc) == "找不到文件 x。\nFile x does not exist.\n解决办法 Fix: 检查路径。 / Check the path."
    assert exc.headline == "（输入文件无法使用 input file cannot be used）"
    assert str(errors.ConfigError("Bad value.")) == "Bad value."
