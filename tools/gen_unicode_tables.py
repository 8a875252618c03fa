#!/usr/bin/env python3
"""Generates native/core/tokenizer/unicode_data.cpp: the Unicode tables the tokenizers need.

Hugging Face's slow tokenizers are Python, so Python's own `unicodedata` (and `str` methods) define the
reference behaviour: NFKD/NFD/NFC, combining classes, general categories, str.isspace/isdigit/lower.
Grapheme cluster breaks (needed to emulate the `tokenizers` Precompiled normalizer) are not in
`unicodedata`, so they come from Perl's core Unicode::UCD; the script checks both use the same Unicode
version. Run from the repository root:

    python3 tools/gen_unicode_tables.py

The output is committed; building never runs this script.
"""
import os
import subprocess
import sys
import unicodedata

OUT = os.path.join(os.path.dirname(__file__), '..', 'native', 'core', 'tokenizer', 'unicode_data.cpp')
MAX_CP = 0x110000
BLOCK = 128
HANGUL_FIRST, HANGUL_LAST = 0xAC00, 0xD7A3

# Flag bits: keep in sync with native/core/tokenizer/unicode_data.h.
PY_SPACE = 1 << 0        # str.isspace()
PY_DIGIT = 1 << 1        # str.isdigit()
CASED = 1 << 2           # Unicode Cased (what str.lower() uses for the final-sigma rule)
CASE_IGNORABLE = 1 << 3  # Unicode Case_Ignorable (likewise)
CAT_OTHER = 1 << 4       # general category C* (Cc, Cf, Cs, Co, Cn)
CAT_PUNCT = 1 << 5       # general category P*
CAT_ZS = 1 << 6          # general category Zs
CAT_MN = 1 << 7          # general category Mn
CAT_MARK = 1 << 8        # general category M* (Mn, Mc, Me)
WHITE_SPACE = 1 << 9     # Unicode White_Space (Rust's char::is_whitespace)
EXT_PICT = 1 << 10       # Extended_Pictographic (grapheme rule GB11)
CAT_LETTER = 1 << 11     # general category L*
CAT_NUMBER = 1 << 12     # general category N*
NFC_UNSTABLE = 1 << 13   # NFC may change text containing it (a mark, a composition's second half, or NFC(c) != c)
NFKD_UNSTABLE = 1 << 14  # NFKD changes it or reorders around it (a decomposition or a nonzero combining class)

GCB_NAMES = ['Other', 'CR', 'LF', 'Control', 'Extend', 'ZWJ', 'Regional_Indicator', 'Prepend', 'SpacingMark',
             'L', 'V', 'T', 'LV', 'LVT']


def perl_invlist(prop):
    """Code points having a Unicode::UCD property, as a set."""
    script = 'use Unicode::UCD qw(prop_invlist); print join(",", prop_invlist($ARGV[0]));'
    out = subprocess.run(['perl', '-e', script, prop], check=True, capture_output=True, text=True).stdout.strip()
    bounds = [int(x) for x in out.split(',')] if out else []
    result = set()
    for i in range(0, len(bounds), 2):
        end = bounds[i + 1] if i + 1 < len(bounds) else MAX_CP
        result.update(range(bounds[i], end))
    return result


def perl_unicode_version():
    script = 'use Unicode::UCD; print Unicode::UCD::UnicodeVersion();'
    return subprocess.run(['perl', '-e', script], check=True, capture_output=True, text=True).stdout.strip()


def is_cased(ch):
    return ch.islower() or ch.isupper() or unicodedata.category(ch) == 'Lt'


def is_case_ignorable(ch, cased):
    # str.lower() maps a capital sigma to the final form when a cased letter precedes it, skipping
    # case-ignorable characters; probing that rule reveals the property, which unicodedata does not expose.
    if cased:
        return (ch + '\u03a3').lower()[-1] == '\u03c3'
    return ('A' + ch + '\u03a3').lower()[-1] == '\u03c2'


def main():
    version = unicodedata.unidata_version
    perl_version = perl_unicode_version()
    if perl_version != version:
        sys.exit(f'Python unicodedata is Unicode {version} but Perl Unicode::UCD is {perl_version}: use matching versions')

    gcb_sets = {name: perl_invlist('GCB=' + name) for name in GCB_NAMES[1:]}
    ext_pict = perl_invlist('ExtPict')
    white_space = perl_invlist('White_Space')

    pool = [0]  # index 0 means "no mapping"; a mapping is stored as [length, code points...]
    pool_index = {}

    def intern(seq):
        key = tuple(seq)
        if key not in pool_index:
            pool_index[key] = len(pool)
            pool.append(len(seq))
            pool.extend(seq)
        return pool_index[key]

    records = []
    record_index = {}
    per_cp = [0] * MAX_CP
    compositions = []
    seconds = set()
    for cp in range(MAX_CP):
        if 0xD800 <= cp <= 0xDFFF: continue
        mapping = unicodedata.decomposition(chr(cp))
        if mapping and not mapping.startswith('<'):
            parts = [int(p, 16) for p in mapping.split()]
            if len(parts) == 2 and unicodedata.normalize('NFC', chr(cp)) == chr(cp): seconds.add(parts[1])
    seconds.update(range(0x1161, 0x1176))  # Hangul vowels and trailing consonants compose arithmetically
    seconds.update(range(0x11A8, 0x11C3))
    for cp in range(MAX_CP):
        ch = chr(cp)
        cat = unicodedata.category(ch)
        cased = is_cased(ch)
        flags = 0
        if ch.isspace(): flags |= PY_SPACE
        if ch.isdigit(): flags |= PY_DIGIT
        if cased: flags |= CASED
        if is_case_ignorable(ch, cased): flags |= CASE_IGNORABLE
        if cat[0] == 'C': flags |= CAT_OTHER
        if cat[0] == 'P': flags |= CAT_PUNCT
        if cat == 'Zs': flags |= CAT_ZS
        if cat == 'Mn': flags |= CAT_MN
        if cat[0] == 'M': flags |= CAT_MARK
        if cp in white_space: flags |= WHITE_SPACE
        if cp in ext_pict: flags |= EXT_PICT
        if cat[0] == 'L': flags |= CAT_LETTER
        if cat[0] == 'N': flags |= CAT_NUMBER
        surrogate = 0xD800 <= cp <= 0xDFFF
        if unicodedata.combining(ch) or cp in seconds or (not surrogate and unicodedata.normalize('NFC', ch) != ch):
            flags |= NFC_UNSTABLE
        if unicodedata.combining(ch) or (not surrogate and unicodedata.normalize('NFKD', ch) != ch):
            flags |= NFKD_UNSTABLE
        gcb = 0
        for i, name in enumerate(GCB_NAMES[1:], start=1):
            if cp in gcb_sets[name]:
                gcb = i
                break
        ccc = unicodedata.combining(ch)
        nfkd = nfd = lower = 0
        is_hangul = HANGUL_FIRST <= cp <= HANGUL_LAST  # decomposed algorithmically
        if not is_hangul and not 0xD800 <= cp <= 0xDFFF:
            d = unicodedata.normalize('NFKD', ch)
            if d != ch: nfkd = intern([ord(c) for c in d])
            d = unicodedata.normalize('NFD', ch)
            if d != ch: nfd = intern([ord(c) for c in d])
            mapping = unicodedata.decomposition(ch)
            if mapping and not mapping.startswith('<'):
                parts = [int(p, 16) for p in mapping.split()]
                if len(parts) == 2 and unicodedata.normalize('NFC', ch) == ch:
                    compositions.append((parts[0], parts[1], cp))
        if not 0xD800 <= cp <= 0xDFFF:
            low = ch.lower()
            if low != ch: lower = intern([ord(c) for c in low])
        rec = (flags, ccc, gcb, nfkd, nfd, lower)
        if rec not in record_index:
            record_index[rec] = len(records)
            records.append(rec)
        per_cp[cp] = record_index[rec]

    if len(records) >= 65536 or len(pool) >= 65536:
        sys.exit('tables outgrew 16-bit indexes')
    stage1, stage2, block_index = [], [], {}
    for start in range(0, MAX_CP, BLOCK):
        block = tuple(per_cp[start:start + BLOCK])
        if block not in block_index:
            block_index[block] = len(stage2) // BLOCK
            stage2.extend(block)
        stage1.append(block_index[block])
    compositions.sort()

    def rows(values, per_line=24):
        lines = []
        for i in range(0, len(values), per_line):
            lines.append('    ' + ', '.join(str(v) for v in values[i:i + per_line]) + ',')
        return '\n'.join(lines)

    with open(OUT, 'w', encoding='utf-8', newline='\n') as f:
        f.write(f'// Generated by tools/gen_unicode_tables.py from Python {sys.version.split()[0]} unicodedata and Perl\n')
        f.write(f'// Unicode::UCD, both Unicode {version}. Do not edit: run the script instead.\n')
        f.write('#include "tokenizer/unicode_data.h"\n\nnamespace albert::unicode_data {\n\n')
        f.write(f'const char kUnicodeVersion[] = "{version}";\n\n')
        f.write(f'const uint16_t kStage1[{len(stage1)}] = {{\n{rows(stage1)}\n}};\n\n')
        f.write(f'const uint16_t kStage2[{len(stage2)}] = {{\n{rows(stage2)}\n}};\n\n')
        f.write(f'const CharRecord kRecords[{len(records)}] = {{\n')
        for r in records:
            f.write('    {%d, %d, %d, %d, %d, %d},\n' % r)
        f.write('};\n\n')
        f.write(f'const char32_t kMappingPool[{len(pool)}] = {{\n{rows(pool)}\n}};\n\n')
        f.write(f'const Composition kCompositions[{len(compositions)}] = {{\n')
        for a, b, c in compositions:
            f.write(f'    {{{a}, {b}, {c}}},\n')
        f.write('};\n')
        f.write(f'const size_t kCompositionCount = {len(compositions)};\n\n}}  // namespace albert::unicode_data\n')
    print(f'Unicode {version}: {len(records)} records, {len(stage2) // BLOCK} blocks, pool {len(pool)}, '
          f'{len(compositions)} compositions -> {os.path.normpath(OUT)}')


if __name__ == '__main__':
    main()
