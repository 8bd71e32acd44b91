import type { FastifyReply, FastifyRequest } from 'fastify';
import { titleOfCode, typeOfCode, type AppError, type FieldError } from '../shared/app-error.js';
import { localeFromAcceptLanguage, type Locale } from '../shared/i18n/locale.js';
import { isLocalText, render, titleIn } from '../shared/i18n/translate.js';

/** The media type of every error response (RFC 9457). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** One field's problem as a problem document lists it, its message written in the reader's language. */
export interface ProblemFieldError {
  field: string;
  message: string;
  in?: FieldError['in'];
}

/** An RFC 9457 problem document as robusto sends it. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  requestId: string;
  errors?: ProblemFieldError[];
  [extension: string]: unknown;
}

/** The language a request's human texts are written in, from its `Accept-Language` (English when it names none robusto speaks). */
export function localeOfRequest(request: FastifyRequest): Locale {
  return localeFromAcceptLanguage(request.headers['accept-language']);
}

/** A field error with its message written in `locale`. */
function fieldErrorIn(locale: Locale, error: FieldError): ProblemFieldError {
  return { ...error, message: isLocalText(error.message) ? render(locale, error.message) : error.message };
}

/**
 * Builds the problem document for an {@link AppError} raised while serving `request`: `title`,
 * `detail` and each field's message in the request's language; `type`, `code`, `status` and
 * the field paths the same in every language.
 */
export function problemOf(error: AppError, request: FastifyRequest): ProblemDocument {
  const locale = localeOfRequest(request);
  return {
    ...error.extensions,
    type: typeOfCode(error.code),
    title: titleIn(locale, error.code) ?? titleOfCode(error.code),
    status: error.status,
    detail: error.detailText ? render(locale, error.detailText) : error.detail,
    instance: request.url.split('?')[0] ?? request.url,
    code: error.code,
    requestId: request.id,
    ...(error.errors ? { errors: error.errors.map((fieldError) => fieldErrorIn(locale, fieldError)) } : {}),
  };
}

/**
 * A problem kept for later (a dead letter's, in the journal), as it is read in `locale`: its
 * detail and field messages kept as texts of the catalogues (`detailText`, `errors[].message`)
 * are written in that language; the rest, and a problem kept as plain strings, as it is.
 */
export function storedProblemIn(locale: Locale, stored: unknown): unknown {
  if (stored === null || typeof stored !== 'object' || Array.isArray(stored)) return stored;
  const { detailText, errors, ...rest } = stored as Record<string, unknown>;
  return {
    ...rest,
    ...(isLocalText(detailText) ? { detail: render(locale, detailText) } : {}),
    ...(Array.isArray(errors) ? { errors: errors.map((e: unknown) => (isFieldError(e) ? fieldErrorIn(locale, e) : e)) } : {}),
  };
}

function isFieldError(value: unknown): value is FieldError {
  return typeof value === 'object' && value !== null && typeof (value as FieldError).field === 'string';
}

/**
 * Sends an {@link AppError} as `application/problem+json` in the request's language, saying which
 * in `Content-Language` (and, by `Vary`, that a cache must keep one answer per language), with
 * `Retry-After` when it has one.
 */
export function sendProblem(reply: FastifyReply, error: AppError): FastifyReply {
  if (error.retryAfterSeconds !== undefined) void reply.header('retry-after', String(error.retryAfterSeconds));
  const problem = problemOf(error, reply.request);
  return reply
    .code(error.status)
    .type(PROBLEM_CONTENT_TYPE)
    .header('content-language', localeOfRequest(reply.request))
    .header('vary', 'Accept-Language')
    .send(problem);
}
