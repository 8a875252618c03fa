// Assertions on albert-node's coded errors.
import assert from 'node:assert/strict';
import { isAlbertNodeError } from '../../dist/index.js';

/** Rejects with an albert-node error of `code` whose message contains every string of `mentions`. */
export async function rejectsWith(promise, code, ...mentions) {
  await assert.rejects(promise, (error) => {
    assert.ok(isAlbertNodeError(error), `expected a coded error, got ${error}`);
    assert.equal(error.code, code, error.message);
    for (const m of mentions) assert.ok(error.message.includes(m), `message "${error.message}" should mention "${m}"`);
    return true;
  });
}
