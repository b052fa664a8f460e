import * as Comlink from 'comlink';
import { WindowRecorder } from '../telemetry/window-recorder.ts';
import { CRASH_FOR_TEST } from './worker-client.ts';
import { WorkerRuntime } from './worker-runtime.ts';

// The module worker's entry: one WorkerRuntime per worker, reached from the page through comlink.
self.addEventListener('message', (event: MessageEvent) => {
  if (event.data === CRASH_FOR_TEST) {
    // Like a real crash: the worker stops answering, and the page gets an error event.
    self.close();
    throw new Error('crash requested by a test');
  }
});
Comlink.expose(new WorkerRuntime((init, info) => WindowRecorder.open(init.telemetry!, info)));
