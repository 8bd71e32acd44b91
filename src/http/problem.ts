import type { FastifyReply, FastifyRequest } from 'fastify';
import { titleOfCode, typeOfCode, type AppError, type FieldError } from '../shared/app-error.js';

/** The media type of every error response (RFC 9457). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** An RFC 9457 problem document as robusto sends it. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  requestId: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** Builds the problem document for an {@link AppError} raised while serving `request`. */
export function problemOf(error: AppError, request: FastifyRequest): ProblemDocument {
  return {
    ...error.extensions,
    type: typeOfCode(error.code),
    title: titleOfCode(error.code),
    status: error.status,
    detail: error.detail,
    instance: request.url.split('?')[0] ?? request.url,
    code: error.code,
    requestId: request.id,
    ...(error.errors ? { errors: error.errors } : {}),
  };
}

/** Sends an {@link AppError} as `application/problem+json`, with `Retry-After` when it has one. */
export function sendProblem(reply: FastifyReply, error: AppError): FastifyReply {
  if (error.retryAfterSeconds !== undefined) void reply.header('retry-after', String(error.retryAfterSeconds));
  return reply.code(error.status).type(PROBLEM_CONTENT_TYPE).send(problemOf(error, reply.request));
}
