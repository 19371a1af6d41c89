"""Bilingual messages: every pvsite error carries Chinese, and so does every line of ``--help``.

The users are planners of 长宁区 and street officers: the Chinese comes first, then the English,
then ``解决办法 Fix:`` (Chinese / English).  The scan below fails when a raise site is added with
English only.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import pvsite
from pvsite.cli import main

PACKAGE = Path(pvsite.__file__).parent
ERRORS = {"PvsiteError", "InputError", "ConfigError", "OutputError", "SelectionError"}
#: ``raise NAME`` of an error built elsewhere (and checked there) — keep this list short.
RERAISED = {("io/atomic.py", "exc"), ("io/footprints.py", "declared_wrong")}
CJK = re.compile(r"[\u4e00-\u9fff]")
WORD = re.compile(r"[A-Za-z]{3,}")


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(PACKAGE).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def _name(func) -> str | None:
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


def _literal_text(node) -> str:
    """The constant parts of a str / f-string / concatenation expression ('' where unknown)."""
    return "".join(n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str))


def test_every_error_is_built_with_chinese():
    """Every InputError/ConfigError/OutputError/SelectionError(...) passes zh= (and fix_zh= with a fix)."""
    lacking, reraised, n = [], set(), 0
    for rel, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) in ERRORS:
                n += 1
                kw = {k.arg: k.value for k in node.keywords}
                if "zh" not in kw:
                    lacking.append(f"{rel}:{node.lineno} no zh=")
                elif isinstance(kw["zh"], (ast.Constant, ast.JoinedStr)) and not CJK.search(_literal_text(kw["zh"])):
                    lacking.append(f"{rel}:{node.lineno} zh= has no Chinese")
                if ("fix" in kw or len(node.args) > 1) and "fix_zh" not in kw:
                    lacking.append(f"{rel}:{node.lineno} fix= without fix_zh=")
            elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Name):
                reraised.add((rel, node.exc.id))
    assert n > 190, n  # the scan sees the raise sites
    assert not lacking, "\n".join(lacking)
    assert reraised == RERAISED, "a new `raise NAME`: build the error with zh= or list it in RERAISED"


def _fails(*args):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code not in (0, 70), result.output
    return result.output


def _assert_chinese_first(text: str, english: str):
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert lines[0].startswith("错误 Error（") and CJK.search(lines[0])
    i = next(k for k, ln in enumerate(lines) if english in ln)
    assert i >= 2 and CJK.search(lines[i - 1]) and not CJK.search(english), lines  # Chinese line, then English
    fix = next(ln for ln in lines if ln.startswith("解决办法 Fix: "))
    zh, _, en = fix.removeprefix("解决办法 Fix: ").partition(" / ")
    assert CJK.match(zh) and re.match(r"[A-Z][a-z]+ ", en), fix  # 中文 / English


def test_cli_missing_footprints_in_chinese_then_english(tmp_path):
    out = _fails("run", "--footprints", str(tmp_path / "nope.gpkg"), "-q")
    _assert_chinese_first(out, "does not exist")
    assert "找不到建筑轮廓文件" in out and "请检查路径" in out


def test_cli_unknown_street_in_chinese_then_english():
    out = _fails("run", "--street", "不存在街道", "-q")
    _assert_chinese_first(out, "Unknown street")
    assert "未知街道 '不存在街道'" in out and "新华路街道" in out


def test_cli_config_problems_in_chinese_then_english(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[roof.setback_m]\nflatt = 1.0\n[mounting]\nflat_tilt_deg = 95\n", encoding="utf-8")
    out = _fails("run", "--config", str(cfg), "-q")
    _assert_chinese_first(out, "problems in the configuration")
    assert "配置中有 2 处问题" in out
    assert "'roof.setback_m.flatt': unknown key" in out and "未知的键" in out  # each line: English, then Chinese


def test_cli_output_not_gpkg_in_chinese_then_english(tmp_path):
    out = _fails("run", "--out", str(tmp_path / "x.xlsx"), "-q")
    _assert_chinese_first(out, "must be a GeoPackage")
    assert "必须是 GeoPackage" in out


def _commands(group=main, path=()):
    yield path, group
    for name, cmd in getattr(group, "commands", {}).items():
        yield from _commands(cmd, (*path, name))


@pytest.mark.parametrize("path,cmd", list(_commands()), ids=lambda x: " ".join(x) if isinstance(x, tuple) else "")
def test_help_is_bilingual(path, cmd):
    """Every command's text and every option's help: Chinese first, then English."""
    texts = [("help", cmd.help), ("short_help", cmd.short_help or cmd.help)]
    texts += [(p.opts[-1], p.help) for p in cmd.params if isinstance(p, click.Option) and p.help
              and p.name not in ("help", "version")]
    for what, text in texts:
        assert text and CJK.search(text) and WORD.search(text), (path, what, text)
        assert CJK.search(text.lstrip()[:12]) or text.startswith(("pvsite", "Dask")), (path, what, text)
    options = [p for p in cmd.params if isinstance(p, click.Option) and p.name not in ("help", "version")]
    assert all(p.help for p in options), [p.name for p in options if not p.help]


@pytest.mark.parametrize("path", [p for p, _ in _commands()], ids=" ".join)
def test_help_fits_80_columns(path):
    """Chinese takes two columns on screen: ``--help`` is wrapped by display width."""
    result = CliRunner().invoke(main, [*path, "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    width = [sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in ln) for ln in result.output.splitlines()]
    assert max(width) <= 80, result.output
    assert CJK.search(result.output)
