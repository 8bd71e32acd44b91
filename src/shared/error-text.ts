/**
 * One line saying what an error was, for logs, health output and job states: its message, led
 * by its stable code when it has one the message does not already name (`ECONNREFUSED: …`).
 */
export function errorText(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}
