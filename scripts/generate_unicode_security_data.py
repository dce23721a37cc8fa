"""Regenerate organisations/data/confusables.txt and scripts.txt from the system's ICU.

Not run by the application or the tests: the files it writes are committed. ICU compiles
Unicode's confusables.txt (UTS #39) and Scripts.txt into its data; this script reads them back
through ICU's C API (ctypes, no build step) and writes, for every code point that is its own
NFD, its UTS #39 prototype when it differs from the code point, and the Script property as
ranges. Run where libicu is installed:

    python3 scripts/generate_unicode_security_data.py 72   # the ICU major version
"""

import ctypes
import sys
import unicodedata
from pathlib import Path

VERSION = sys.argv[1] if len(sys.argv) > 1 else "72"
OUT = Path(__file__).resolve().parent.parent / "organisations" / "data"

i18n = ctypes.CDLL(f"libicui18n.so.{VERSION}")
uc = ctypes.CDLL(f"libicuuc.so.{VERSION}")
err = ctypes.c_int(0)
spoof_open = getattr(i18n, f"uspoof_open_{VERSION}")
spoof_open.restype = ctypes.c_void_p
checker = spoof_open(ctypes.byref(err))
get_skeleton = getattr(i18n, f"uspoof_getSkeletonUTF8_{VERSION}")
get_skeleton.argtypes = [
    ctypes.c_void_p,
    ctypes.c_uint32,
    ctypes.c_char_p,
    ctypes.c_int32,
    ctypes.c_char_p,
    ctypes.c_int32,
    ctypes.POINTER(ctypes.c_int),
]
get_script = getattr(uc, f"uscript_getScript_{VERSION}")
get_script.argtypes = [ctypes.c_uint32, ctypes.POINTER(ctypes.c_int)]
short_name = getattr(uc, f"uscript_getShortName_{VERSION}")
short_name.restype = ctypes.c_char_p
unicode_version = ctypes.create_string_buffer(4)
getattr(uc, f"u_getUnicodeVersion_{VERSION}")(unicode_version)
unicode_version_text = ".".join(str(b) for b in unicode_version.raw[:3])


def skeleton(text: str) -> str:
    error = ctypes.c_int(0)
    buffer = ctypes.create_string_buffer(256)
    data = text.encode("utf-8")
    size = get_skeleton(checker, 0, data, len(data), buffer, 256, ctypes.byref(error))
    if error.value > 0:
        raise RuntimeError(f"ICU error {error.value} for {text!r}")
    return buffer.raw[:size].decode("utf-8")


def main() -> None:
    header = (
        f"# Derived from Unicode {unicode_version_text} data (UTS #39 confusables.txt, Scripts.txt)\n"
        f"# as compiled in ICU {VERSION}, by scripts/generate_unicode_security_data.py.\n"
        "# Copyright © 1991-2022 Unicode, Inc. See LICENSE-UNICODE.txt in this folder.\n"
    )
    lines = [header, "# code point ; prototype (code points)\n"]
    scripts = [header, "# first ; last ; script (ISO 15924)\n"]
    run: list = []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        error = ctypes.c_int(0)
        script = short_name(get_script(cp, ctypes.byref(error))).decode()
        if run and run[1] == cp - 1 and run[2] == script:
            run[1] = cp
        else:
            if run:
                scripts.append(f"{run[0]:04X};{run[1]:04X};{run[2]}\n")
            run = [cp, cp, script]
        if unicodedata.category(ch) in {"Cn", "Co", "Cs"} or unicodedata.normalize("NFD", ch) != ch:
            continue
        target = skeleton(ch)
        if target != ch:
            lines.append(f"{cp:04X};{' '.join(f'{ord(c):04X}' for c in target)}\n")
    scripts.append(f"{run[0]:04X};{run[1]:04X};{run[2]}\n")
    (OUT / "confusables.txt").write_text("".join(lines), encoding="utf-8")
    (OUT / "scripts.txt").write_text("".join(scripts), encoding="utf-8")


if __name__ == "__main__":
    main()
