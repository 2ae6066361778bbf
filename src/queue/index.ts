// Public surface of the queue module: job kinds and their payload schemas, the processors'
// dependencies, the request store, the embedded (SQLite) and BullMQ adapters, and the service
// the API drives.

import { BullmqQueue, type BullmqQueueOptions } from './bullmq-adapter.js';
import { EmbeddedQueue, type EmbeddedQueueOptions } from './embedded-adapter.js';
import { WorkFileStore } from './file-store.js';
import { createJobHandler } from './job-handler.js';
import { PostgresRequestStore } from './postgres-request-store.js';
import { openServiceDatabase, openServicePostgres, type OpenServicePostgresOptions, type ServiceDatabase, type ServicePostgres } from './service-db.js';
import { SqliteRequestStore } from './sqlite-request-store.js';

/** The queue interface both adapters implement, and its shapes. */
export type { FlowJob, JobCounts, JobHandler, JobQueue, JobState, QueuedJob, RetryPolicy, WorkerOptions } from './adapter.js';
export { backoffDelay, JOB_STATES } from './adapter.js';

/** Totals of finished job runs, kept where the jobs run, for the metrics. */
export { JOB_DURATION_BUCKETS } from './job-tallies.js';
export type { DurationTally, FailureTally, JobTallies } from './job-tallies.js';

/** Job kinds `{kind, version, payload schema}`. */
export { archiveSheetJob, JOB_DEFINITIONS, JOB_KINDS, notifyJob, signSheetJob } from './jobs/index.js';
export type { ArchiveSheetPayload, JobDefinition, JobKind, NotifyPayload, Processor, SignSheetPayload } from './jobs/index.js';

/** What processors are given. */
export type { JobContext, JobResult, ProcessorDeps, ServiceLogger, VerifyFileResult } from './processors/deps.js';

/** Errors across processes: `{code, message, details}`. */
export { decodeWireError, encodeWireError, toMapsignError, toWireError } from './wire-error.js';
export type { WireError } from './wire-error.js';

/** Request shapes and their states. */
export { isRequestTerminal, isSheetTerminal, REQUEST_STATES, requestStateOf, SHEET_STATES } from './types.js';
export type { DeliveryRecord, RequestState, SheetRecordState, SheetState, SignatureSpec, SignerRef, SignRequestRecord, StepRecord } from './types.js';
export type { NewSheet, NewSignRequest, RequestStore, TaskRecord } from './request-store.js';

/** Visible stamps of service signatures. */
export { buildServiceStamp, STAMP_CORNER_NAMES, verificationUrlOf } from './stamp-spec.js';
export type { ServiceStampTemplate, ServiceStampTemplates, StampBox, StampCornerName, StampImages, StampSpec } from './stamp-spec.js';

/** Planning of flows from a request's state. */
export { notifyFlow, planRequestFlows, planSheetSegment } from './flow-plan.js';
export type { PlannedSegment } from './flow-plan.js';

/** The public view of a request (API and webhook body). */
export { toSignRequestView } from './status-view.js';
export type { SheetView, SignRequestView } from './status-view.js';
export { webhookEventType } from './processors/notify.js';

/** Where callbacks may go (the SSRF guard), and their delivery to checked addresses only. */
export { CallbackPolicy } from './callback-policy.js';
export type { ResolvedCallback, ResolveHost } from './callback-policy.js';
export { postCallback } from './callback-delivery.js';
export type { PostCallbackOptions, PostCallbackResult } from './callback-delivery.js';

/** The service the API drives. */
export { requestIdFor, SigningService, taskIdOf } from './service.js';
export type { SignTaskOutcome, StaffSigner, SubmitOptions, SubmitResult } from './service.js';

export { BullmqQueue, createJobHandler, EmbeddedQueue, openServiceDatabase, openServicePostgres, PostgresRequestStore, SqliteRequestStore, WorkFileStore };
export type { BullmqQueueOptions, EmbeddedQueueOptions, OpenServicePostgresOptions, ServiceDatabase, ServicePostgres };
export type { HeadCheck, PutFileOptions, StoredFile } from './file-store.js';
