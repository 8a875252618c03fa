// Temporary folders for tests that need their own tokenizer files.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh folder, removed after test `t`. */
export function tempFolder(t) {
  const dir = mkdtempSync(join(tmpdir(), 'albert-node-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
