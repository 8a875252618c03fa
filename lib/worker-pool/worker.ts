/**
 * @internal The worker side of WorkerPool: loads one pipeline, then answers { id, input, options } messages with
 * { id, result } or { id, error }. A task's error is reported for that task only; the worker keeps serving.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pipeline, type PipelineTask } from '../pipelines';
import { errorToWire, toWire } from './wire';

interface Setup {
  task: PipelineTask;
  model: string;
  options: Record<string, unknown>;
}

interface Request {
  id: number;
  input: unknown;
  options?: Record<string, unknown>;
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const { task, model, options } = workerData as Setup;
  let run: (input: unknown, options?: unknown) => Promise<unknown>;
  try {
    run = (await pipeline(task, model, options)) as unknown as typeof run;
  } catch (error) {
    port.postMessage({ ready: false, error: errorToWire(error) });
    return;
  }
  port.postMessage({ ready: true });
  port.on('message', (request: Request) => {
    run(request.input, request.options)
      .then((result) => {
        const transfer: ArrayBuffer[] = [];
        const wire = toWire(result, transfer);
        port.postMessage({ id: request.id, result: wire }, transfer);
      })
      .catch((error: unknown) => port.postMessage({ id: request.id, error: errorToWire(error) }));
  });
}

void main();
