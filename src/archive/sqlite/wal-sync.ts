// Durable SQLite commits that do not stop the event loop. At synchronous=FULL, SQLite flushes the
// write-ahead log inside COMMIT, and better-sqlite3 runs COMMIT on the main thread: every durable
// write stalls all other work of the process (uploads, signing) for the length of an fsync. So
// the databases run at synchronous=NORMAL, where COMMIT writes the log but does not flush it, and
// a writer that must not lose its commit awaits WalSync.flush(): an fsync of the log on libuv's
// thread pool before it answers anyone. fsync flushes the file, not a descriptor, so one carries
// every frame written before it began, and the commits that arrive while one runs share the next
// (group commit). A checkpoint flushes the log itself before it copies frames into the database.

import { closeSync, fdatasync, openSync } from 'node:fs';

export class WalSync {
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  constructor(private readonly databasePath: string) {}

  /** Resolves once everything committed before this call is on disk. */
  flush(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.running) return this.start();
    // The one running may have begun before the caller's commit: the next one covers it.
    this.queued = this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.start();
      });
    return this.queued;
  }

  private start(): Promise<void> {
    const run = this.syncLog().finally(() => {
      if (this.running === run) this.running = null;
    });
    this.running = run;
    return run;
  }

  protected async syncLog(): Promise<void> {
    // Opened and closed synchronously: the log is a local file that better-sqlite3 reads and
    // writes synchronously on this same thread anyway, and each trip to the thread pool costs
    // more CPU (about 40 µs here) than the open or close itself. Only the flush waits there.
    let descriptor: number;
    try {
      descriptor = openSync(`${this.databasePath}-wal`, 'r');
    } catch (error) {
      // No log: it was checkpointed into the database (flushed by the checkpoint) and removed.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    try {
      // The log's bytes and its size, as SQLite's own commit would (fdatasync, no timestamps).
      await new Promise<void>((resolve, reject) => fdatasync(descriptor, (error) => (error ? reject(error) : resolve())));
    } finally {
      closeSync(descriptor);
    }
  }
}
