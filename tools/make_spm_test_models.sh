#!/usr/bin/env bash
# Builds the small SentencePiece models in test/fixtures/sentencepiece/ and their goldens, with the real
# SentencePiece tools (Debian: apt-get install sentencepiece python3-sentencepiece). They cover what the
# shared fixtures do not: byte fallback, identity normalization, whitespace as suffix, no whitespace
# collapsing, split digits. Training text: the botchan lines of the shared goldens.
#   tools/make_spm_test_models.sh [path/to/shared/fixtures]
set -euo pipefail
cd "$(dirname "$0")/.."
fixtures="${1:-../shared/fixtures}"
out=test/fixtures/sentencepiece
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 - "$fixtures" "$work/train.txt" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1] + '/tokenizers/goldens/albertvi-30k.raw-spm.jsonl', encoding='utf-8')]
with open(sys.argv[2], 'w', encoding='utf-8') as f:
    for r in rows:
        if r['source'] == 'botchan': f.write(r['text'].replace('\n', ' ') + '\n')
PY
common=(--input="$work/train.txt" --model_type=unigram --character_coverage=0.9995 --num_threads=1 --random_seed=7
        --shuffle_input_sentence=false --minloglevel=2)
spm_train "${common[@]}" --model_prefix="$work/byte-fallback" --vocab_size=600 --byte_fallback=true \
  --normalization_rule_name=identity --user_defined_symbols='<br>,(,)' --control_symbols='[CLS],[SEP]'
spm_train "${common[@]}" --model_prefix="$work/suffix" --vocab_size=400 --treat_whitespace_as_suffix=true \
  --remove_extra_whitespaces=false --split_digits=true --normalization_rule_name=nfkc_cf
cp "$work/byte-fallback.model" "$work/suffix.model" "$out/"
# Goldens: the real library's pieces, ids and decoded text for the shared goldens' texts plus edge cases.
python3 - "$fixtures" "$out" <<'PY'
import json, sys
import sentencepiece as spm
fixtures, out = sys.argv[1], sys.argv[2]
texts = []
for line in open(fixtures + '/tokenizers/goldens/albertvi-30k.raw-spm.jsonl', encoding='utf-8'):
    texts.append(json.loads(line)['text'])
texts += ['', ' ', '  a  b  ', 'x\u00a0y', '<br>(<br>)', '[CLS] x', 'ǅ ẞ İ ﬁ', '\U0001F600\U0001F600 \u0e01\u0e33', '\ufffd', '12345 678',
          'ca\u0301fe\u0301', '\ud55c\uad6d\uc5b4', 'end with space ', '\t\ttabs\t', '\x00nul\x01']
for name in ['byte-fallback', 'suffix']:
    sp = spm.SentencePieceProcessor(model_file=f'{out}/{name}.model')
    with open(f'{out}/{name}.raw-spm.jsonl', 'w', encoding='utf-8') as f:
        for i, t in enumerate(texts):
            ids = sp.encode(t)
            f.write(json.dumps({'i': i, 'text': t, 'pieces': sp.encode(t, out_type=str), 'ids': ids,
                                'decoded': sp.decode(ids)}, ensure_ascii=False) + '\n')
PY
ls -la "$out"
