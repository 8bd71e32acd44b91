/** Largest sign-in body accepted (4 KiB); larger ones get 413 unread. */
export const LOGIN_BODY_LIMIT_BYTES = 4 * 1024;

/** Sign-in tries allowed per minute from one IP address, whatever emails they name. */
export const SIGN_IN_LIMIT_PER_IP_PER_MINUTE = 20;
