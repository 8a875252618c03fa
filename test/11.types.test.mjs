// The published typings: a usage file must compile against dist/*.d.ts, and misuses must fail to compile.
import { it } from 'node:test';
import { assertTypesCompile } from './helpers/typecheck.mjs';

it('dist/index.d.ts types the public API (valid use compiles, misuse is rejected)', { timeout: 120_000 }, () => {
  assertTypesCompile(['api-usage.ts', 'heads-usage.ts', 'tf-usage.ts']);
});
