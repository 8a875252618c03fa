// The Tokenizer typings: test/types/tokenizer-usage.ts must compile against dist/*.d.ts, misuses must not.
import { it } from 'node:test';
import { assertTypesCompile } from './helpers/typecheck.mjs';

it('dist/index.d.ts types the Tokenizer API', { timeout: 120_000 }, () => {
  assertTypesCompile(['tokenizer-usage.ts']);
});
