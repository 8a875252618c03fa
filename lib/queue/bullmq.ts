/**
 * @internal The parts of BullMQ that albert-node/queue uses, loaded lazily (bullmq is an optional peer
 * dependency: only users of this module install it), and the run's Redis keys with their idempotent writes.
 * The interfaces below are the minimal shapes of BullMQ 5 and 6 classes that the module calls; no BullMQ
 * type ever reaches the public declarations.
 */
import { albertError, ErrorCodes } from '../errors';

/** Where the run's jobs and results live: a Redis connection and a BullMQ queue. */
export interface QueueTarget {
  /**
   * How to reach Redis: BullMQ's `connection` option, i.e. ioredis options (`{ host, port, password, db, ... }`)
   * or an already-connected client. Each call opens (and closes) its own connections from options; a client
   * passed in is shared and left open.
   */
  connection: QueueConnection;
  /** The BullMQ queue name (producers and workers of a run must agree). */
  queueName: string;
  /** BullMQ's key prefix (default `'bull'`); the run's result keys live under it too. */
  prefix?: string;
}

/** BullMQ's `ConnectionOptions`: ioredis options, or a Redis client instance. */
export type QueueConnection = { host?: string; port?: number; [option: string]: unknown } | object;

/** @internal A Redis client as BullMQ hands it out (ioredis in BullMQ 5; BullMQ 6's IRedisClient adapter). */
export interface RedisLike {
  hget(key: string, field: string): Promise<string | null>;
  hmget(key: string, ...fields: string[]): Promise<Array<string | null>>;
  hexists(key: string, field: string): Promise<number>;
  hgetall(key: string): Promise<Record<string, string>>;
  hset(key: string, data: Record<string, string | number>): Promise<number>;
  del(...keys: string[]): Promise<number>;
  defineCommand(name: string, definition: { numberOfKeys: number; lua: string }): void;
  runCommand?(name: string, args: unknown[]): Promise<unknown>;
}

/** @internal Where BullMQ keeps its Redis client: `client` (BullMQ 5), `getBackend().client` (BullMQ 6). */
export interface HasClient {
  readonly client?: Promise<RedisLike>;
  getBackend?(): { readonly client?: Promise<RedisLike> };
}

/** @internal The Redis client of a BullMQ queue or worker. */
export async function redisClient(owner: HasClient): Promise<RedisLike> {
  const holder = typeof owner.getBackend === 'function' ? owner.getBackend() : owner;
  const client = await holder.client;
  if (!client || typeof client.hmget !== 'function') {
    throw albertError(ErrorCodes.UNSUPPORTED, 'albert-node/queue: this bullmq version exposes no Redis client (install bullmq 5 or 6)');
  }
  return client;
}

/** @internal */
export interface BullJobOptions {
  jobId?: string;
  attempts?: number;
  backoff?: number | { type: string; delay?: number };
  removeOnComplete?: boolean | number | { age?: number; count?: number };
  removeOnFail?: boolean | number | { age?: number; count?: number };
  priority?: number;
  [option: string]: unknown;
}

/** @internal */
export interface BullJob {
  id?: string;
  data: unknown;
  opts: BullJobOptions;
  attemptsMade: number;
  failedReason?: string;
  getState(): Promise<string>;
}

/** @internal */
export interface BullQueue extends HasClient {
  addBulk(jobs: Array<{ name: string; data: unknown; opts?: BullJobOptions }>): Promise<unknown[]>;
  getJob(id: string): Promise<BullJob | undefined>;
  remove(id: string): Promise<number>;
  close(): Promise<void>;
}

/** @internal */
export interface BullWorker extends HasClient {
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  waitUntilReady(): Promise<unknown>;
  close(force?: boolean): Promise<void>;
}

/** @internal */
export interface BullModule {
  Queue: new (name: string, options: Record<string, unknown>) => BullQueue;
  Worker: new (name: string, processor: (job: BullJob) => Promise<unknown>, options: Record<string, unknown>) => BullWorker;
  UnrecoverableError: new (message?: string) => Error;
}

let cached: BullModule | undefined;

/** @internal Loads bullmq from the application's node_modules, or throws a coded error saying to install it. */
export function loadBullmq(): BullModule {
  if (cached) return cached;
  let mod: BullModule;
  try {
    // Resolved from this file, i.e. from the application's node_modules (bullmq is a peer dependency).
    mod = require('bullmq') as BullModule;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_REQUIRE_ESM') throw error;
    throw albertError(
      ErrorCodes.UNSUPPORTED,
      'albert-node/queue needs the bullmq package (an optional peer dependency): install bullmq and ioredis (npm install bullmq ioredis)',
    );
  }
  if (typeof mod.Queue !== 'function' || typeof mod.Worker !== 'function') {
    throw albertError(ErrorCodes.UNSUPPORTED, 'the installed bullmq package has no Queue/Worker classes: install bullmq 5 or later');
  }
  cached = mod;
  return mod;
}

/** @internal Rethrows BullMQ's "could not load ioredis" as a coded error; other errors unchanged. */
export function codedSetupError(error: unknown): unknown {
  if (error instanceof Error && /'ioredis'/.test(error.message) && !(error as { code?: unknown }).code) {
    return albertError(ErrorCodes.UNSUPPORTED, `albert-node/queue: ${error.message}`);
  }
  return error;
}

/** @internal Checks the options every call takes. */
export function checkTarget(options: QueueTarget, what: string): void {
  if (options === null || typeof options !== 'object') {
    throw albertError(ErrorCodes.INVALID_INPUT, `${what}: options must be an object`, true);
  }
  if (options.connection === null || typeof options.connection !== 'object') {
    throw albertError(ErrorCodes.INVALID_INPUT, `${what}: connection must be ioredis options ({ host, port }) or a client`, true);
  }
  if (typeof options.queueName !== 'string' || options.queueName === '' || options.queueName.includes(':')) {
    throw albertError(ErrorCodes.INVALID_INPUT, `${what}: queueName must be a non-empty string without ':' (got ${JSON.stringify(options.queueName)})`, true);
  }
  if (options.prefix !== undefined && (typeof options.prefix !== 'string' || options.prefix === '')) {
    throw albertError(ErrorCodes.INVALID_INPUT, `${what}: prefix must be a non-empty string`, true);
  }
}

const RUN_ID = /^[A-Za-z0-9_.-]{1,200}$/;

/** @internal */
export function checkRunId(runId: unknown, what: string): string {
  if (typeof runId !== 'string' || !RUN_ID.test(runId)) {
    throw albertError(ErrorCodes.INVALID_INPUT, `${what}: runId must be 1 to 200 characters of A-Z a-z 0-9 _ . - (got ${JSON.stringify(runId)})`, true);
  }
  return runId;
}

/** @internal BullMQ options shared by queues and workers. */
export function bullOptions(target: QueueTarget): Record<string, unknown> {
  return { connection: target.connection, prefix: target.prefix ?? 'bull' };
}

/** @internal The Redis keys of one run (beside the queue's own keys, under the same prefix). */
export interface RunKeys {
  /** Hash: batch index → encoded batch record (first write wins). */
  results: string;
  /** Hash: total, batches, batchRows (written when the producer has enqueued everything). */
  meta: string;
}

/** @internal */
export function runKeys(target: QueueTarget, runId: string): RunKeys {
  const base = `${target.prefix ?? 'bull'}:${target.queueName}:albert-run:${runId}`;
  return { results: `${base}:results`, meta: `${base}:meta` };
}

/** @internal The BullMQ job id of a run's batch (custom ids may not contain ':'). */
export function jobId(runId: string, batch: number): string {
  return `${runId}.b${batch}`;
}

const PUT_COMMAND = 'albertNodePutOnce';
// HSETNX: the first record written for a batch wins, so a job run twice (at-least-once delivery, a retry after
// a lost lock) never changes or duplicates a result. ARGV[3] > 0 sets the hash's time to live.
const PUT_LUA = `local n = redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
if tonumber(ARGV[3]) > 0 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return n`;
const defined = new WeakSet<object>();

/** @internal Writes `value` to `field` of hash `key` unless the field exists; true when this call wrote it. */
export async function putOnce(client: RedisLike, key: string, field: string, value: string, ttlSeconds = 0): Promise<boolean> {
  if (!defined.has(client)) {
    client.defineCommand(PUT_COMMAND, { numberOfKeys: 1, lua: PUT_LUA });
    defined.add(client);
  }
  const args = [key, field, value, String(Math.max(0, Math.floor(ttlSeconds)))];
  const result =
    typeof client.runCommand === 'function'
      ? await client.runCommand(PUT_COMMAND, args) // BullMQ 6's client adapter
      : await (client as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[PUT_COMMAND](...args); // ioredis
  return Number(result) === 1;
}
