import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isTransientError } from '../db/transient-errors.js';
import { AppError, isAppError, type FieldError } from '../shared/app-error.js';
import { DATABASE_RETRY_AFTER_SECONDS, ErrorCode } from '../shared/error-codes.js';
import { sendProblem } from './problem.js';

interface AjvError {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

function fieldErrorsOf(error: FastifyError): FieldError[] {
  const where = error.validationContext;
  return ((error.validation ?? []) as AjvError[]).map((e) => {
    const params = e.params ?? {};
    if (e.keyword === 'required') return { in: where, field: `${e.instancePath ?? ''}/${String(params.missingProperty)}`, message: 'is required' };
    if (e.keyword === 'additionalProperties')
      return { in: where, field: `${e.instancePath ?? ''}/${String(params.additionalProperty)}`, message: 'is not an accepted field; remove it' };
    return { in: where, field: e.instancePath || '/', message: e.message ?? 'is invalid' };
  });
}

/** A problem lists at most this many invalid fields: enough to fix a request, never a megabyte of them. */
export const MAX_LISTED_ERRORS = 50;

/**
 * Turns anything thrown while serving a request into an {@link AppError}: validation errors
 * list each field, body errors get their own codes, transient database errors become 503
 * `ERR_DATABASE_UNAVAILABLE`, and anything unknown becomes a 500 that reveals nothing but the
 * request id.
 */
export function toAppError(error: unknown, request: FastifyRequest): AppError {
  if (isAppError(error)) return error;
  const fe = error as FastifyError;
  if (fe?.validation) {
    const errors = fieldErrorsOf(fe);
    if (errors.length > MAX_LISTED_ERRORS) {
      return new AppError(ErrorCode.VALIDATION, 400, `The request has ${errors.length} invalid fields; errors[] lists the first ${MAX_LISTED_ERRORS}.`, {
        errors: errors.slice(0, MAX_LISTED_ERRORS),
      });
    }
    return new AppError(
      ErrorCode.VALIDATION,
      400,
      `The request has ${errors.length} invalid field${errors.length === 1 ? '' : 's'}; see errors[] for each one.`,
      { errors },
    );
  }
  switch (fe?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError(
        ErrorCode.BODY_TOO_LARGE,
        413,
        `The request body is over this route's limit (${request.routeOptions.bodyLimit ?? 1048576} bytes); send less data per request.`,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError(
        ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        415,
        `Content type "${request.headers['content-type'] ?? ''}" is not accepted; send JSON with Content-Type: application/json.`,
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError(ErrorCode.MALFORMED_JSON, 400, 'The body is empty but Content-Type says JSON; send a JSON document or drop the header.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError(ErrorCode.MALFORMED_JSON, 400, 'The body is not valid JSON; check quotes, commas and braces.');
  }
  if (fe instanceof SyntaxError && fe.statusCode === 400) {
    return new AppError(ErrorCode.MALFORMED_JSON, 400, 'The body is not valid JSON; check quotes, commas and braces.');
  }
  if (isTransientError(error)) {
    return new AppError(ErrorCode.DATABASE_UNAVAILABLE, 503, 'The database is not answering right now; retry in a few seconds.', {
      retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
      cause: error,
    });
  }
  const status = typeof fe?.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) return new AppError(ErrorCode.BAD_REQUEST, status, fe.message, { cause: error });
  return new AppError(ErrorCode.INTERNAL, 500, `Something went wrong on the server. The log has the details under request id ${request.id}.`, { cause: error });
}

function notFound(request: FastifyRequest): AppError {
  const path = request.url.split('?')[0];
  return new AppError(ErrorCode.ROUTE_NOT_FOUND, 404, `There is no route ${request.method} ${path}. The API lives under /api and is described at /docs.`);
}

/**
 * Installs the one error handler and the not-found handler: every error leaves as
 * `application/problem+json`, 5xx ones without stack or internal message.
 *
 * @param unavailable - says whether a URL belongs to a module that cannot serve, so its
 *   unknown paths answer 503 like its known ones instead of 404.
 */
export function registerErrorHandling(app: FastifyInstance, unavailable: (request: FastifyRequest) => AppError | undefined): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const appError = toAppError(error, request);
    // The tenant says whose admin may read the line (GET /api/system/errors).
    if (appError.status >= 500) request.log.error({ err: error, code: appError.code, tenantId: request.principal?.tenantId }, 'request failed');
    else request.log.info({ code: appError.code, status: appError.status, detail: appError.detail }, 'request rejected');
    return sendProblem(reply, appError);
  });
  app.setNotFoundHandler((request, reply) => sendProblem(reply, unavailable(request) ?? notFound(request)));
}
