import type { ErrorObject } from 'ajv';
import localizeModule from 'ajv-i18n/localize/pt-BR/index.js';
import type { Localize } from 'ajv-i18n/localize/types.js';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isTransientError } from '../db/transient-errors.js';
import { AppError, isAppError, type FieldError } from '../shared/app-error.js';
import { DATABASE_RETRY_AFTER_SECONDS, ErrorCode } from '../shared/error-codes.js';
import type { Locale } from '../shared/i18n/locale.js';
import { countedText, text } from '../shared/i18n/translate.js';
import { FORMAT_MESSAGES, PATTERN_MESSAGES } from '../shared/schemas.js';
import { localeOfRequest, sendProblem } from './problem.js';

// NB: a CommonJS module: Node imports its module.exports, the function, where TypeScript expects a `default` member.
const localizePtBR = ((localizeModule as unknown as { default?: Localize }).default ?? localizeModule) as unknown as Localize;

type AjvError = Partial<Pick<ErrorObject, 'instancePath' | 'message' | 'keyword'>> & { params?: Record<string, unknown> };

/**
 * The validator's own message in `locale`: its English one, or Brazilian Portuguese from
 * `ajv-i18n` (which rewrites the message of a copy, never the validator's error).
 */
function validatorMessage(locale: Locale, e: AjvError): string {
  if (locale === 'pt-BR') {
    const copy = { ...e, params: e.params ?? {} } as ErrorObject;
    localizePtBR([copy]);
    if (copy.message) return copy.message;
  }
  return e.message ?? 'is invalid';
}

/**
 * Each field the validator refused, with what is wrong in `locale`: robusto's own words for a
 * missing or unknown field and for its formats (a date, a CPF…) and patterns, the validator's
 * (localized) for the rest (a length, a type, a value out of an enum).
 */
function fieldErrorsOf(error: FastifyError, locale: Locale): FieldError[] {
  const where = error.validationContext;
  return ((error.validation ?? []) as AjvError[]).map((e) => {
    const params = e.params ?? {};
    if (e.keyword === 'required') return { in: where, field: `${e.instancePath ?? ''}/${String(params.missingProperty)}`, message: text('field.required') };
    if (e.keyword === 'additionalProperties')
      return { in: where, field: `${e.instancePath ?? ''}/${String(params.additionalProperty)}`, message: text('field.notAccepted') };
    const field = e.instancePath || '/';
    const own =
      e.keyword === 'format' ? FORMAT_MESSAGES[String(params.format)] : e.keyword === 'pattern' ? PATTERN_MESSAGES.get(String(params.pattern)) : undefined;
    return { in: where, field, message: own ? text(own) : validatorMessage(locale, e) };
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
    const errors = fieldErrorsOf(fe, localeOfRequest(request));
    if (errors.length > MAX_LISTED_ERRORS) {
      return new AppError(ErrorCode.VALIDATION, 400, text('validation.tooManyFields', { count: errors.length, max: MAX_LISTED_ERRORS }), {
        errors: errors.slice(0, MAX_LISTED_ERRORS),
      });
    }
    return new AppError(ErrorCode.VALIDATION, 400, countedText('validation.invalidFields', errors.length), { errors });
  }
  switch (fe?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError(ErrorCode.BODY_TOO_LARGE, 413, text('http.bodyTooLarge', { limit: request.routeOptions.bodyLimit ?? 1048576 }));
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 415, text('http.unsupportedMediaType', { contentType: request.headers['content-type'] ?? '' }));
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError(ErrorCode.MALFORMED_JSON, 400, text('http.emptyJson'));
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError(ErrorCode.MALFORMED_JSON, 400, text('http.malformedJson'));
  }
  if (fe instanceof SyntaxError && fe.statusCode === 400) {
    return new AppError(ErrorCode.MALFORMED_JSON, 400, text('http.malformedJson'));
  }
  if (isTransientError(error)) {
    return new AppError(ErrorCode.DATABASE_UNAVAILABLE, 503, text('http.databaseUnavailable'), {
      retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
      cause: error,
    });
  }
  const status = typeof fe?.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) return new AppError(ErrorCode.BAD_REQUEST, status, fe.message, { cause: error });
  return new AppError(ErrorCode.INTERNAL, 500, text('http.internal', { requestId: request.id }), { cause: error });
}

function notFound(request: FastifyRequest): AppError {
  const path = request.url.split('?')[0];
  return new AppError(ErrorCode.ROUTE_NOT_FOUND, 404, text('http.routeNotFound', { method: request.method, path: path ?? request.url }));
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
