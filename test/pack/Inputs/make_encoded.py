"""Writes modules in the encodings their coding declarations name, for
encodings.test. usage: make_encoded.py DIR"""
import os
import sys

out = sys.argv[1]
good = os.path.join(out, "good")
os.makedirs(good, exist_ok=True)
TEXT = "Привет"  # koi8-r and cp1251 can both say it
MODULES = {
    # name: (declaration lines, encoding, value)
    "m_koi8_r": ("# -*- coding: koi8-r -*-\n", "koi8-r", TEXT),
    "m_cp1252": ("#!/usr/bin/env python3\n# vim: set fileencoding=cp1252 :\n",
                 "cp1252", "caf\u00e9 \u20ac"),
    "m_shift_jis": ("# coding=shift_jis\n", "shift_jis", "日本語"),
    "m_euc_jp": ("# -*- coding: euc-jp -*-\n", "euc-jp", "日本語"),
    "m_latin_1": ("# -*- coding: latin-1 -*-\n", "latin-1", "caf\u00e9"),
}
for name, (head, enc, value) in MODULES.items():
    body = f"{head}VALUE = {value!r}\nLENGTH = len(VALUE)\n"
    with open(os.path.join(good, name + ".py"), "wb") as f:
        f.write(body.encode(enc))
# Not a codec: python3.11 reports a SyntaxError at import.
bad = os.path.join(out, "bad")
os.makedirs(bad, exist_ok=True)
with open(os.path.join(bad, "typo.py"), "wb") as f:
    f.write(b"#!/usr/bin/env python3\n# -*- coding: uft-8 -*-\nx = 1\n")
# Bytes the declared codec cannot decode: the error, with its line.
bad2 = os.path.join(out, "bad2")
os.makedirs(bad2, exist_ok=True)
with open(os.path.join(bad2, "wrong.py"), "wb") as f:
    f.write(b"# coding: ascii\nx = 1\ny = '\xff'\n")
# No declaration, not UTF-8: the tokenizer's own error, with its line.
bad3 = os.path.join(out, "bad3")
os.makedirs(bad3, exist_ok=True)
with open(os.path.join(bad3, "notutf8.py"), "wb") as f:
    f.write(b"x = 1\ny = '\xff'\n")
