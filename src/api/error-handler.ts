// One error handler for the whole API: every failure becomes application/problem+json (RFC 9457)
// with our stable `code`, the request id, and the status of the code table. No stack traces.

import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, MapsignError, type ErrorCode } from '../errors.js';
import { toMapsignError } from '../queue/index.js';

/**
 * Statuses the shared code table cannot hold yet (its test admits a fixed set without 401, 403
 * and 416); everything else comes from ERROR_CODES.
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  message: string;
  requestId: string;
  details?: Record<string, unknown>;
}

export function httpStatusOf(code: ErrorCode): number {
  return ERROR_CODES[code].http;
}

/** Translates Fastify's and its plugins' errors (FST_*) to our codes, at this one boundary. */
function fromFastifyError(error: FastifyError): MapsignError {
  const code = error.code ?? '';
  if (code === 'FST_ERR_VALIDATION' || (error as { validation?: unknown }).validation) {
    return new MapsignError('USAGE_INVALID', `invalid request: ${error.message}`);
  }
  if (code === 'FST_REQ_FILE_TOO_LARGE' || code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new MapsignError('UPLOAD_TOO_LARGE', 'the request body is larger than allowed');
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') return new MapsignError('USAGE_INVALID', 'this route expects another content type (multipart/form-data for uploads, application/json otherwise)');
  if (code === 'FST_PARTS_LIMIT' || code === 'FST_FILES_LIMIT' || code === 'FST_FIELDS_LIMIT') return new MapsignError('USAGE_INVALID', `the upload has too many parts: ${error.message}`);
  if (code.startsWith('FST_ERR_CTP') || code === 'FST_PROTO_VIOLATION') return new MapsignError('USAGE_INVALID', `the request body cannot be read: ${error.message}`);
  if (error.statusCode === 429) return new MapsignError('RATE_LIMITED', error.message || 'too many requests; try again later');
  if (error.statusCode === 404) return new MapsignError('ROUTE_NOT_FOUND', error.message);
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) return new MapsignError('USAGE_INVALID', error.message);
  return toMapsignError(error);
}

export function toProblem(error: unknown, requestId: string): Problem {
  const mapsign =
    error instanceof MapsignError || (typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' && !String((error as { code: string }).code).startsWith('FST_'))
      ? toMapsignError(error)
      : fromFastifyError(error as FastifyError);
  const status = httpStatusOf(mapsign.code);
  const isInternal = status >= 500 && mapsign.code === 'INTERNAL_ERROR';
  const problem: Problem = {
    type: `urn:mapsign:error:${mapsign.code}`,
    title: ERROR_CODES[mapsign.code].summaryVi,
    status,
    code: mapsign.code,
    message: isInternal ? 'internal error; the request id identifies it in the logs' : mapsign.message,
    requestId,
  };
  if (!isInternal && Object.keys(mapsign.details).length > 0) problem.details = mapsign.details;
  return problem;
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: unknown): FastifyReply {
  const problem = toProblem(error, request.id);
  if (problem.status >= 500) request.log.error({ err: error, code: problem.code }, 'request failed');
  else request.log.info({ code: problem.code, status: problem.status }, 'request refused');
  if (problem.status === 401) void reply.header('www-authenticate', 'Bearer realm="mapsign"');
  return reply.code(problem.status).type('application/problem+json; charset=utf-8').send(problem);
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => sendProblem(reply, request, error));
  app.setNotFoundHandler((request, reply) => sendProblem(reply, request, new MapsignError('ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)));
}
