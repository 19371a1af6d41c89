"""Text encodings: the one UTF-8 → GBK fallback every pvsite reader uses.

Chinese GIS and office software writes text in GBK (Windows code page 936) as
often as in UTF-8, and rarely says which.  pvsite decodes *strictly*: a byte
sequence that is not valid in the encoding tried is never dropped or replaced,
the next encoding of :data:`AUTO_ENCODINGS` is tried, and when none fits the
error names the file, the field and row, the bytes, and an encoding that would
work.

* Shapefiles (:func:`shapefile_encoding`, :func:`decode_frame`): the ``.dbf`` is
  read as :data:`RAW_CODEC` (bytes intact), then decoded with the ``encoding``
  option, else the ``.cpg``, else UTF-8 then GBK.
* Text tables (CSV/TSV; :func:`read_csv_text`): the ``encoding`` option, else
  UTF-8 (BOM allowed) then GBK.
* DXF drawings (:func:`dxf_encoding`): the ``encoding`` option, else the
  ``$DWGCODEPAGE`` header (R2004 and earlier; UTF-8 from R2007), checked against
  the bytes, with UTF-8 and GBK as fallbacks for drawings saved as ANSI_1252.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import pandas as pd

from pvsite.errors import ConfigError, InputError


#: Encodings tried, in order, for a Shapefile with neither ``.cpg`` nor ``encoding=`` (GBK: the Windows
#: code page 936 of Chinese GIS software).
AUTO_ENCODINGS = ("UTF-8", "GBK")

#: Codec the Shapefile text is read with: every byte maps to one code point, so the bytes come back intact
#: and are decoded (strictly) by :func:`decode_frame`; GDAL's own recoding drops undecodable bytes with only
#: a warning.
RAW_CODEC = "ISO-8859-1"

#: Encodings offered when text fails to decode (the first that decodes everything is suggested).
SUGGESTED_ENCODINGS = ("GBK", "GB18030", "UTF-8", "BIG5")


def check_codec(encoding, what="--encoding") -> str:
    """Python codec name of ``encoding``; ConfigError naming the option when unknown."""
    try:
        return codecs.lookup(str(encoding)).name
    except LookupError:
        raise ConfigError(
            f"{what} {encoding!r} is not a known text encoding.",
            fix=f"Use a codec name such as {what} gbk (Chinese Windows/ArcGIS Shapefiles), {what} gb18030, "
                f"{what} utf-8 or {what} big5.",
            zh=f"{what} {encoding!r} 不是已知的文本编码。",
            fix_zh=f"请使用编码名，如 {what} gbk（中文 Windows / ArcGIS 的 Shapefile）、{what} gb18030、{what} utf-8 或 {what} big5。",
        ) from None


def cpg_codec(declared: str) -> str | None:
    """Python codec for a ``.cpg`` declaration (as GDAL reads it), None when unknown.

    ``UTF-8``/``65001`` → utf-8; ``88591``/``8859-5`` → ISO-8859-n; ``ANSI 936``/``936`` → cp936 (GBK);
    ``GB2312`` → GBK (Windows writes code page 936 under that label, and GBK is its superset); other
    names as given.
    """
    d = declared.strip()
    u = d.upper().replace(" ", "")
    if u.startswith("ANSI"):
        u = u[4:]
    if u in ("UTF-8", "UTF8", "65001"):
        u = "utf-8"
    elif u.startswith("8859"):
        u = "iso8859_" + u[4:].lstrip("-_")
    elif u.isdigit():
        u = "cp" + u
    elif u in ("GB2312", "GB_2312-80", "EUC-CN"):
        u = "gbk"
    try:
        return codecs.lookup(u).name
    except LookupError:
        return None


def shapefile_encoding(path: Path, encoding, warn):
    """Return (codecs to try, encoding reported, basis, .cpg path or None).

    ``encoding=`` wins over a ``.cpg`` (the user states it because the ``.cpg`` is wrong); without either,
    :data:`AUTO_ENCODINGS` are tried.
    """
    cpg = next((c for c in (path.with_suffix(".cpg"), path.with_suffix(".CPG")) if c.is_file()), None)
    declared = cpg.read_text(encoding="ascii", errors="replace").strip() if cpg is not None else None
    if encoding is not None:
        name = check_codec(encoding)
        if cpg is None:
            return [name], encoding, "argument", None
        if cpg_codec(declared) == name:
            return [name], declared, ".cpg", cpg
        warn.append(f"encoding={encoding!r} overrides {cpg.name}, which declares {declared!r}")
        return [name], encoding, "argument (overrides .cpg)", cpg
    if cpg is not None:
        name = cpg_codec(declared)
        if name is None:
            raise InputError(
                f"{cpg} declares the text encoding {declared!r}, which pvsite does not know, so the text of "
                f"{path} cannot be decoded.",
                fix=f"Pass --encoding (e.g. --encoding gbk, gb18030 or utf-8; it overrides the .cpg) or write a "
                    f"codec name into {cpg.name}.",
                zh=f"{cpg} 声明的文本编码 {declared!r} 不为 pvsite 所知，{path} 的文本无法解码。",
                fix_zh=f"请加 --encoding（如 --encoding gbk、gb18030 或 utf-8；优先于 .cpg），或在 {cpg.name} 中写入编码名。",
            )
        return [name], declared, ".cpg", cpg
    return list(AUTO_ENCODINGS), None, None, None


def _first_undecodable(df, codec: str):
    """(field, source_row, raw bytes) of the first text that ``codec`` cannot decode; None if all decode.

    ``source_row`` is None for a field name.  Only called on the error path (loops over values).
    """
    geom = df.geometry.name
    for c in df.columns:
        if c == geom:
            continue
        try:
            str(c).encode(RAW_CODEC).decode(codec)
        except UnicodeDecodeError:
            return c, None, str(c).encode(RAW_CODEC)
    for c in df.columns:
        if c == geom or not _is_text(df[c]):
            continue
        for i, v in enumerate(df[c].to_numpy()):
            if isinstance(v, str):
                try:
                    v.encode(RAW_CODEC).decode(codec)
                except UnicodeDecodeError:
                    return c, i, v.encode(RAW_CODEC)
    return None


def _is_text(s: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _recode(df, codec: str):
    """``df`` (read as :data:`RAW_CODEC`) with field names and text decoded as ``codec`` (strict).

    Raises
    ------
    UnicodeDecodeError
        When some byte sequence is not valid ``codec``.
    """
    geom = df.geometry.name
    out = df.rename(columns={c: str(c).encode(RAW_CODEC).decode(codec) for c in df.columns if c != geom})
    for c in out.columns:
        if c != geom and _is_text(out[c]):
            s = out[c]
            out[c] = s.str.encode(RAW_CODEC).str.decode(codec).astype(s.dtype)
    return out


def decode_frame(df, path: Path, tries, basis, cpg):
    """Decode a Shapefile read as :data:`RAW_CODEC` with the first codec in ``tries`` that fits.

    Returns
    -------
    (GeoDataFrame, str)
        Decoded frame and the codec used (as named in ``tries``).

    Raises
    ------
    InputError
        When no codec decodes every field name and text value: names the file, the first field and
        row that failed, the bytes, and an encoding that would work when one of
        :data:`SUGGESTED_ENCODINGS` does.
    """
    for codec in tries:
        try:
            return _recode(df, codec), codec
        except UnicodeDecodeError:
            continue
    tried = [codecs.lookup(t).name for t in tries]
    names = " or ".join(t.upper() for t in tried)
    field, row, raw = _first_undecodable(df, tried[-1])
    shown = raw[:24].hex(" ") + (" …" if len(raw) > 24 else "")
    where = (f"field name {field!r} (bytes {shown})" if row is None
             else f"field {str(field).encode(RAW_CODEC).decode(tried[-1], errors='replace')!r}, "
                  f"source_row {row} (bytes {shown})")
    good = None
    for cand in SUGGESTED_ENCODINGS:
        if codecs.lookup(cand).name in tried:
            continue
        try:
            _recode(df, cand)
        except UnicodeDecodeError:
            continue
        good = cand
        break
    if basis == ".cpg":
        fix = (f"{cpg.name} declares {cpg.read_text(encoding='ascii', errors='replace').strip()!r}, which is "
               "wrong for this file. ")
        fix += (f"The text decodes as {good}: pass --encoding {good.lower()} (it overrides the .cpg) or write "
                f"{good} into {cpg.name}." if good else
                f"Pass --encoding with the encoding the file was written in (gbk, gb18030, utf-8, big5; it "
                f"overrides the .cpg) or correct {cpg.name}.")
    elif good:
        fix = (f"The text decodes as {good}: pass --encoding {good.lower()}"
               + (" (or correct the .cpg)." if cpg is not None else " or add a .cpg file naming it."))
    else:
        fix = ("Pass --encoding gbk|utf-8|gb18030 (the encoding the file was written in) or add a .cpg file "
               "naming it; if no encoding fits, the .dbf is damaged: re-export the file.")
    if row is None and "utf-8" in tried:
        fix += ("  Note that a DBF field name holds at most 10 bytes, so UTF-8 Chinese field names longer than "
                "3 characters are cut mid-character by many writers: rename those fields or use a GeoPackage.")
    raise InputError(f"Text attributes or field names of {path} cannot be decoded as {names}: {where}.", fix=fix,
                     zh=f"{path} 的文本属性或字段名无法按 {names} 解码：{where}。",
                     fix_zh=(f"文本可按 {good} 解码：请加 --encoding {good.lower()}（优先于 .cpg），或改正 .cpg 文件。" if good else "请用 --encoding 指定文件写入时的编码（gbk、gb18030、utf-8、big5；优先于 .cpg），或添加/改正 .cpg 文件；若都不行，说明 .dbf 已损坏，请重新导出。") + ("注意 DBF 字段名最多 10 字节，超过 3 个汉字的 UTF-8 字段名常被截断：请改短字段名或改用 GeoPackage。" if row is None and "utf-8" in tried else ""))


#: Python codecs tried, in order, for a text table without ``encoding=`` (``utf-8-sig`` accepts a BOM).
AUTO_TABLE_ENCODINGS = ("utf-8-sig", "gbk")


def read_csv_text(path, encoding=None, *, sep=",", what="table") -> tuple[pd.DataFrame, str]:
    """Read a delimited text table as text, with the UTF-8 → GBK fallback.

    Parameters
    ----------
    path : str or Path
        CSV / TSV file with a header row.
    encoding : str, optional
        Codec of the file; default :data:`AUTO_TABLE_ENCODINGS` in order.
    sep : str
        Field separator (``'\\t'`` for TSV).
    what : str
        What the file is (``'--registry'``, ``'overrides'``), named in errors.

    Returns
    -------
    (pandas.DataFrame, str)
        Every cell as ``str`` (empty cells ``''``, never NaN), and the codec used.

    Raises
    ------
    InputError
        Text that no codec tried decodes, or a file pandas cannot parse.
    ConfigError
        Unknown ``encoding``.
    """
    path = Path(path)
    tries = [check_codec(encoding, what=f"{what} encoding")] if encoding else list(AUTO_TABLE_ENCODINGS)
    for enc in tries:
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=enc, sep=sep), enc
        except UnicodeDecodeError:
            continue
        except Exception as exc:  # pandas raises several parser errors
            raise InputError(f"Cannot read {what} {path} as a delimited text table: {exc}.",
                             fix="Use a comma-separated file (tab-separated for .tsv) with a header row.",
                             zh=f"无法把 {what} {path} 读作分隔文本表：{exc}。",
                             fix_zh="请使用带表头的逗号分隔文件（.tsv 用制表符分隔）。") from None
    raise InputError(f"{what} {path} cannot be decoded as {' or '.join(t.upper() for t in tries)}.",
                     fix="Pass the encoding it was written in (e.g. gb18030) or save the file as UTF-8.",
                     zh=f"{what} {path} 无法按 {' 或 '.join(t.upper() for t in tries)} 解码。",
                     fix_zh="请指定文件写入时的编码（如 gb18030），或将文件另存为 UTF-8。")


#: ``$DWGCODEPAGE`` header values of DXF R2004 and earlier → Python codec.  The ANSI_* names are Windows
#: code pages (AutoCAD DXF reference, HEADER section; table as in ezdxf "DXF File Encoding",
#: https://ezdxf.readthedocs.io/en/stable/dxfinternals/fileencoding.html); ANSI_936 is Chinese GBK.
#: GB2312 is read as GBK, its superset; ASCII as cp1252, a superset.
DXF_CODEPAGES = {
    "ANSI_874": "cp874", "ANSI_932": "cp932", "ANSI_936": "gbk", "ANSI_949": "cp949", "ANSI_950": "cp950",
    "ANSI_1250": "cp1250", "ANSI_1251": "cp1251", "ANSI_1252": "cp1252", "ANSI_1253": "cp1253",
    "ANSI_1254": "cp1254", "ANSI_1255": "cp1255", "ANSI_1256": "cp1256", "ANSI_1257": "cp1257",
    "ANSI_1258": "cp1258", "GB2312": "gbk", "BIG5": "big5", "DOS850": "cp850", "DOS866": "cp866",
    "ASCII": "cp1252", "UTF-8": "utf-8", "UTF8": "utf-8",
}

#: ``$ACADVER`` from which AutoCAD writes DXF text as UTF-8 whatever ``$DWGCODEPAGE`` says (R2007, AC1021).
DXF_UTF8_FROM = "AC1021"

_DXF_VAR = r"\$%s[ \t]*\r?\n[ \t]*%d[ \t]*\r?\n([^\r\n]*)"
#: A non-ASCII byte run made only of GB2312 (EUC-CN) characters: lead byte 0xA1–0xF7, trail 0xA1–0xFE.
_EUC_CN_RUN = re.compile(rb"(?:[\xa1-\xf7][\xa1-\xfe])+")


def _decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def dxf_encoding(path: Path, encoding, warn) -> tuple[str, str]:
    """The codec of a DXF drawing's text (layer names, TEXT, attributes) and why.

    DXF R2004 and earlier store text in the code page the ``$DWGCODEPAGE`` header
    names (:data:`DXF_CODEPAGES`; ANSI_1252 when absent); R2007 (AC1021) and later
    store UTF-8.  GDAL's DXF driver reads ``$DWGCODEPAGE`` too, but takes it at its
    word, so pvsite decides here and hands the codec to GDAL as the
    ``DXF_ENCODING`` configuration option (GDAL DXF driver, "Character
    Encodings": it overrides the header's code page).  Order:

    1. ``encoding`` (``--encoding``) when given;
    2. ASCII-only text: nothing to decode (UTF-8);
    3. R2007+ text that is valid UTF-8: UTF-8;
    4. a declared code page other than ANSI_1252 that decodes every byte: that one;
    5. otherwise (ANSI_1252 declared or no declaration — how many Chinese CAD
       programs save GBK drawings): UTF-8 when the bytes are valid UTF-8, GBK
       when every non-ASCII byte forms GB2312 characters (a Western ANSI_1252
       text has accented letters next to ASCII, which never do), else the
       declared code page — each fallback with a warning.

    Parameters
    ----------
    path : Path
        The ``.dxf`` file (read whole, once).
    encoding : str or None
        Codec given by the user (``--encoding``); wins.
    warn : list of str
        Warnings are appended here.

    Returns
    -------
    (str, str)
        Python codec name (e.g. ``'gbk'``) and the basis of the choice.

    Raises
    ------
    ConfigError
        Unknown ``encoding``.
    InputError
        Text that neither the declared code page, UTF-8 nor GBK decodes.
    """
    data = Path(path).read_bytes()
    head = data[: 1 << 20]
    ver = re.search((_DXF_VAR % ("ACADVER", 1)).encode(), head)
    cp = re.search((_DXF_VAR % ("DWGCODEPAGE", 3)).encode(), head)
    ver = ver.group(1).decode("ascii", "replace").strip().upper() if ver else ""
    cp = cp.group(1).decode("ascii", "replace").strip().upper() if cp else ""
    declared = DXF_CODEPAGES.get(cp) if cp else "cp1252"
    said = f"$DWGCODEPAGE {cp}" if cp else "no $DWGCODEPAGE (ANSI_1252, AutoCAD's default)"
    name = Path(path).name
    if encoding is not None:
        codec = check_codec(encoding)
        if cp and declared not in (None, codec):
            warn.append(f"{name}: --encoding {encoding} overrides the drawing's $DWGCODEPAGE {cp}")
        return codec, "argument (--encoding)"
    runs = re.findall(rb"[\x80-\xff]+", data)
    if not runs:
        return "utf-8", "ASCII text only"
    utf8 = _decodes(data, "utf-8")
    if ver >= DXF_UTF8_FROM and ver.startswith("AC") and utf8:
        return "utf-8", f"DXF {ver} (R2007 or later) text is UTF-8"
    if cp and declared is None:
        warn.append(f"{name}: unknown $DWGCODEPAGE {cp!r}; guessing the text encoding (pass --encoding to choose)")
    elif declared not in ("cp1252", "utf-8"):
        if _decodes(data, declared):
            return declared, said
        warn.append(f"{name}: text is not valid {declared} although the drawing declares {said}; "
                    f"guessing the text encoding (pass --encoding to choose)")
    if utf8:
        if cp:
            warn.append(f"{name}: declares {said} but its text is UTF-8; decoded as UTF-8")
        return "utf-8", f"{said}, but the text is UTF-8"
    if all(_EUC_CN_RUN.fullmatch(r) for r in runs):
        warn.append(f"{name}: declares {said} but its text reads as Chinese GBK (as many Chinese CAD programs "
                    f"save it); decoded as GBK (pass --encoding cp1252 if it is a Western European drawing)")
        return "gbk", f"{said}, but every non-ASCII character is GB2312"
    if declared == "cp1252" and _decodes(data, "cp1252"):
        return "cp1252", said
    raise InputError(
        f"The text of DXF drawing {path} cannot be decoded: it declares {said}, and it is neither "
        f"valid UTF-8 nor Chinese GBK.",
        fix="Pass --encoding with the code page the drawing was saved in (e.g. --encoding gb18030, big5, cp1251).",
        zh="DXF 图纸文字编码无法识别", fix_zh="请用 --encoding 指定图纸保存时的代码页（如 gb18030、big5）。",
    )
