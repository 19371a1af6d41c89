"""Errors that pvsite reports to its users.

Every message names the file or option, what was expected, what was found,
and the fix.  The CLI turns these into a one-paragraph message and exit
code; a traceback is shown only with ``-v``.

Messages are bilingual.  Every error class carries a Chinese headline
(:attr:`PvsiteError.title_zh`, e.g. 输入文件无法使用), so even a message written
only in English reaches a Chinese reader with the kind of problem in Chinese;
a raise site may add the whole message and fix in Chinese (``zh=``, ``fix_zh=``)::

    错误 Error（输入文件无法使用 input file cannot be used）
    找不到建筑轮廓文件 /data/x.gpkg。
    Footprint file /data/x.gpkg does not exist.
    解决办法 Fix: 检查路径（--footprints）。 / Check the path (--footprints).
"""

from __future__ import annotations


class PvsiteError(Exception):
    """Base class of every error pvsite reports to a user.

    Parameters
    ----------
    message : str
        What went wrong, naming the file/option and the feature.
    fix : str, optional
        What the user can do about it.
    zh, fix_zh : str, optional
        The message and the fix in Chinese (shown before the English).
    """

    exit_code = 1
    #: Chinese headline of the kind of problem, shown with every message of the class.
    title_zh = "运行出错"
    title_en = "pvsite error"

    def __init__(self, message: str, fix: str | None = None, *, zh: str | None = None,
                 fix_zh: str | None = None):
        self.message = message
        self.fix = fix
        self.zh = zh
        self.fix_zh = fix_zh
        super().__init__(self.__str__())

    @property
    def headline(self) -> str:
        """``（输入文件无法使用 input file cannot be used）``: the class's bilingual headline."""
        return f"（{self.title_zh} {self.title_en}）"

    def __str__(self) -> str:
        text = f"{self.zh}\n{self.message}" if self.zh else self.message
        if self.fix or self.fix_zh:
            fix = " / ".join(x for x in (self.fix_zh, self.fix) if x)
            text += f"\n解决办法 Fix: {fix}"
        return text


class InputError(PvsiteError):
    """An input file (footprints, weather, streets, registry) cannot be used."""

    exit_code = 2
    title_zh = "输入文件无法使用"
    title_en = "input file cannot be used"


class ConfigError(PvsiteError):
    """A configuration file, preset or option value is wrong."""

    exit_code = 3
    title_zh = "配置、预设或选项有误"
    title_en = "configuration, preset or option is wrong"


class OutputError(PvsiteError):
    """The output cannot be written (exists, unwritable, ...)."""

    exit_code = 4
    title_zh = "输出无法写入"
    title_en = "output cannot be written"


class SelectionError(PvsiteError):
    """A selection (street, bbox, ...) is unknown or selects nothing."""

    exit_code = 5
    title_zh = "选择范围有误"
    title_en = "selection is unknown or empty"
