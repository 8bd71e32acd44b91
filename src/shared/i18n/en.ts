/**
 * robusto's English texts: the title and meaning of every error code (docs/errors.md is rendered
 * from them) and every message the API and the commands show a person. `{name}` is a value filled
 * in when the text is shown; a key ending in `.one` / `.other` is chosen by a count's plural form.
 * The Brazilian Portuguese catalogue (`pt-BR.ts`) has exactly the same keys and placeholders.
 */
export const en = {
  codes: {
    // auth
    ERR_AUTH_INVALID_CREDENTIALS: { title: 'Invalid credentials', meaning: 'Tenant, email or password is wrong; the answer never says which.' },
    ERR_AUTH_RATE_LIMITED: {
      title: 'Too many sign-ins',
      meaning: 'Too many sign-ins from this address, or too many failures for this account: wait `Retry-After` seconds.',
    },
    ERR_INSTALLATION_ROLE_CLI_ONLY: {
      title: 'Installation role on the server only',
      meaning: 'The installation role is granted and revoked on the server only, with `robusto user installation-admin`.',
    },
    ERR_INSTALLATION_ROLE_NEEDS_ADMIN: {
      title: 'Installation role needs an admin',
      meaning: 'Only an active admin or owner can hold the installation role.',
    },
    ERR_TENANT_LAST_OWNER: {
      title: 'Last owner of the tenant',
      meaning: 'The change would leave the tenant without an active owner: make another user owner first.',
    },
    ERR_TENANT_SLUG_TAKEN: { title: 'Tenant slug taken', meaning: 'Another tenant already has this slug.' },
    ERR_USER_EMAIL_TAKEN: { title: 'User email taken', meaning: 'Another user of the tenant already has this email.' },
    ERR_USER_NOT_FOUND: { title: 'User not found', meaning: "No user with this id in the caller's tenant." },
    ERR_USER_OWNER_ONLY: { title: 'Only an owner can do this', meaning: 'Only an owner can make, change or disable an owner.' },
    ERR_USER_SELF_LOCKOUT: {
      title: 'Cannot lock yourself out',
      meaning: 'Nobody can disable themselves or change their own role; another admin or owner can.',
    },
    // backup
    ERR_BACKUP_DAMAGED: { title: 'Backup damaged', meaning: 'A file is missing, altered or unreadable: `verify` lists which.' },
    ERR_BACKUP_KEY: {
      title: 'Backup key missing or wrong',
      meaning: 'The backup is encrypted and `BACKUP_ENCRYPTION_KEY` is unset, or is not the key it was made with.',
    },
    ERR_BACKUP_NO_DATABASE: {
      title: 'No database to back up',
      meaning: 'The configured database holds no robusto tables (a wrong DATA_DIR or DATABASE_URL): nothing to back up.',
    },
    ERR_BACKUP_NOT_A_BACKUP: { title: 'Not a backup', meaning: 'The directory holds no readable robusto backup manifest.' },
    ERR_BACKUP_SCHEMA_MISMATCH: { title: 'Backup schema mismatch', meaning: "The backup's migrations differ from this robusto's." },
    ERR_BACKUP_TARGET_NOT_EMPTY: {
      title: 'Restore target not empty',
      meaning: 'The target database already holds rows: restore only fills an empty one.',
    },
    ERR_BACKUP_UNAUTHENTICATED: {
      title: 'Backup unauthenticated',
      meaning: 'The backup is encrypted but its manifest carries no HMAC: restore wants `--allow-unauthenticated`.',
    },
    ERR_BACKUP_UNENCRYPTED: {
      title: 'Backup unencrypted',
      meaning: '`BACKUP_ENCRYPTION_KEY` is set and the backup is plain (unauthenticated): restore wants `--allow-unencrypted`.',
    },
    // config
    ERR_CONFIG_INVALID: {
      title: 'Invalid configuration',
      meaning: 'An environment variable (or `.env` line) is invalid; robusto does not start, and prints one line per variable with an example of a good value.',
    },
    // customers
    ERR_CUSTOMER_DOCUMENT_TAKEN: { title: 'Customer document taken', meaning: 'Another customer of the tenant already has this CPF/CNPJ.' },
    ERR_CUSTOMER_NOT_FOUND: { title: 'Customer not found', meaning: "No customer with this id in the caller's tenant." },
    ERR_CUSTOMER_VERSION_CONFLICT: {
      title: 'Customer changed meanwhile',
      meaning: 'The customer changed since the client read it (`currentVersion` says its version now): reload, reapply the change, send the new version.',
    },
    // database
    ERR_DATABASE_NO_HOST: {
      title: 'No database host fits',
      meaning:
        'No host `DATABASE_URL` lists accepted a connection of the kind its `target_session_attrs` asks (a primary for `read-write`): as during a failover, before a standby is promoted. A write is journaled (202); each new connection tries the hosts again.',
    },
    ERR_DATABASE_STALLED: {
      title: 'Database stalled',
      meaning:
        'Database work abandoned because the database answered nothing, on any connection, for `DB_WRITE_DEADLINE_MS`; its connection was destroyed. A write is journaled (202).',
    },
    ERR_MIGRATION_FAILED: {
      title: 'Migration failed',
      meaning:
        'A migration failed and was rolled back; the message names the owner (`core` or a module) and the migration. That module answers 503 until it is fixed.',
    },
    // identity
    ERR_AUTH_TOKEN_EXPIRED: { title: 'Token expired', meaning: 'The token expired (after 12 hours): sign in again.' },
    ERR_AUTH_TOKEN_INVALID: {
      title: 'Token not valid',
      meaning: 'The token does not verify, was signed out, or its user was disabled: sign in again.',
    },
    ERR_INSTALLATION_ROLE_REQUIRED: {
      title: 'Installation role required',
      meaning:
        'The route shows or changes the whole installation: it needs the installation role, granted on the server with `robusto user installation-admin`.',
    },
    // jobs
    ERR_JOB_CANCELLED: {
      title: 'Job cancelled',
      meaning: "A job's run was aborted because the process is stopping; its slot runs at the next start.",
    },
    ERR_JOB_TIMEOUT: { title: 'Job timed out', meaning: "A job's run took longer than its timeout and was aborted; it is retried with backoff." },
    // kernel
    ERR_AUTH_FORBIDDEN: {
      title: 'Permission missing',
      meaning: "The user's role lacks the permission the route or command needs (the problem's `permission` names it); an admin or owner can change the role.",
    },
    ERR_AUTH_REQUIRED: {
      title: 'Sign-in required',
      meaning: 'The route needs a signed-in user: send `Authorization: Bearer <token>` from `POST /api/auth/login`.',
    },
    ERR_BAD_REQUEST: {
      title: 'Bad request',
      meaning: 'Another client error found before the route ran (sometimes with another 4xx status); the detail says which.',
    },
    ERR_BODY_TOO_LARGE: {
      title: 'Body too large',
      meaning: "The body is over the route's size limit, or holds more members than robusto reads: send less per request.",
    },
    ERR_DATABASE_UNAVAILABLE: {
      title: 'Database unavailable',
      meaning: 'The database is not answering: reads wait for it (retry after `Retry-After`), writes are journaled instead (202).',
    },
    ERR_INTERNAL: { title: 'Internal error', meaning: 'Something unexpected: the log has the details under the request id the problem gives.' },
    ERR_MALFORMED_JSON: { title: 'Malformed JSON', meaning: 'The body is not valid JSON, or is empty while `Content-Type` says JSON.' },
    ERR_MODULE_UNAVAILABLE: {
      title: 'Module unavailable',
      meaning: 'The module behind this URL failed to load, or waits for its migrations; the other modules keep serving.',
    },
    ERR_OVERLOADED: {
      title: 'Server overloaded',
      meaning: 'The server is too busy to answer in time (its event loop lags, or password hashing is queued full); retry after `Retry-After`.',
    },
    ERR_RATE_LIMITED: {
      title: 'Too many requests',
      meaning: 'Too many requests to this route from this address within a minute; retry after `Retry-After`.',
    },
    ERR_ROUTE_NOT_FOUND: { title: 'Route not found', meaning: 'No route for this method and URL; the API is described at `/docs`.' },
    ERR_SHUTTING_DOWN: { title: 'Shutting down', meaning: 'The server is stopping; another worker or the restarted server answers a retry.' },
    ERR_TIMEOUT: {
      title: 'Timed out',
      meaning: "An operation did not finish within its time budget (a health check, a module's own check); named in the log and `/health`.",
    },
    ERR_UNSUPPORTED_MEDIA_TYPE: { title: 'Unsupported media type', meaning: 'The body is not JSON: send `Content-Type: application/json`.' },
    ERR_VALIDATION: {
      title: 'Invalid request',
      meaning: 'A request body, query or parameter failed its schema or a rule of its module; `errors[]` names each field and what is wrong with it.',
    },
    // products
    ERR_PRODUCT_HAS_STOCK: {
      title: 'Product has stock',
      meaning: 'The product still has stock in its lots: use it up, expire or adjust the lots to 0, or deactivate the product instead of deleting it.',
    },
    ERR_PRODUCT_NOT_FOUND: { title: 'Product not found', meaning: "No product with this id in the caller's tenant." },
    ERR_PRODUCT_SKU_TAKEN: { title: 'Product SKU taken', meaning: 'Another product of the tenant already has this SKU.' },
    ERR_PRODUCT_VERSION_CONFLICT: {
      title: 'Product changed meanwhile',
      meaning: 'The product changed since the client read it (`currentVersion` says its version now): reload, reapply the change, send the new version.',
    },
    // receipts
    ERR_RECEIPT_NOT_FOUND: {
      title: 'Receipt not found',
      meaning: "No receipt with this id for the caller's tenant; receipts are kept until their write is applied and pruned.",
    },
    // server
    ERR_PORT_BUSY: {
      title: 'Port busy',
      meaning: 'The port stayed taken by another process for all of `PORT_WAIT_MS`; robusto exits 1 and says how to find that process.',
    },
    // stock
    ERR_STOCK_INSUFFICIENT: {
      title: 'Not enough stock',
      meaning: 'The lot holds less than the movement takes out (`available` says how much it holds).',
    },
    ERR_STOCK_LOT_CODE_TAKEN: { title: 'Lot code taken', meaning: 'Another lot of the tenant already has this code.' },
    ERR_STOCK_LOT_EXPIRED: { title: 'Lot expired', meaning: 'The lot was expired and written off: it takes no more movements.' },
    ERR_STOCK_LOT_NOT_FOUND: { title: 'Lot not found', meaning: "No lot with this id or code in the caller's tenant." },
    // students
    ERR_STUDENT_CPF_TAKEN: { title: 'Student CPF taken', meaning: 'Another student of the tenant already has this CPF.' },
    ERR_STUDENT_NOT_FOUND: { title: 'Student not found', meaning: "No student with this id in the caller's tenant." },
    // system
    ERR_REPLAY_NOW_FAILED: {
      title: 'Replay failed',
      meaning:
        'The replay round asked for now (`POST /api/system/journal/replay`) stopped on an unexpected error: the writes stay in the journal, and the server keeps replaying by itself. The log, under the request id, says why.',
    },
    ERR_BACKUP_RUNNING: {
      title: 'Backup running',
      meaning: 'A backup asked for now is being made already (`startedAt` says since when): one at a time. Wait for it, then look at the backups list.',
    },
    ERR_BACKUP_NOW_FAILED: {
      title: 'Backup failed',
      meaning:
        'The backup asked for now (`POST /api/system/backups`) could not be made or did not read back (then it was removed); `backupCode` holds the backup error code when there is one, the detail what to check.',
    },
    ERR_DEAD_LETTER_NOT_FOUND: {
      title: 'Dead letter not found',
      meaning: "No dead letter with this receipt in the caller's tenant: it may be queued, applied or discarded already.",
    },
    // writes
    ERR_IDEMPOTENCY_KEY_REUSED: {
      title: 'Idempotency key reused',
      meaning: 'The `Idempotency-Key` was already used for a different request: use a new key for a new request.',
    },
    ERR_JOURNAL_TENANT_FULL: {
      title: "Tenant's journal share full",
      meaning:
        "The tenant's writes waiting in the journal hold its whole share (`JOURNAL_TENANT_MAX_MB`); other tenants still write. Retry after `Retry-After`.",
    },
    ERR_JOURNAL_UNAVAILABLE: {
      title: 'Journal unavailable',
      meaning:
        'The write had to go to the journal (the database is down, or earlier writes wait there) and the journal cannot take it; `reason` says why (`disk-full`, `write-failed`, `cannot-open`, `limit`). Nothing was saved: retry later.',
    },
    ERR_REPLAY_FAILED: {
      title: 'Replay failed',
      meaning: 'A journaled write failed when applied for a reason with no code of its own; the dead letter keeps the message.',
    },
    ERR_REPLAY_FORBIDDEN: {
      title: 'Replay forbidden',
      meaning:
        'The user who sent a journaled write lost the right to it (disabled, role lowered, signed out) before it was applied: a dead letter, never applied (409 when its retry is refused for the same reason).',
    },
    ERR_REPLAY_VERSION_UNKNOWN: {
      title: 'Command version unknown',
      meaning:
        'A journaled write was accepted by a version of its command this robusto cannot apply (newer, or one without an upcast): a dead letter until a robusto that knows it runs.',
    },
    ERR_WRITE_OUTCOME_UNKNOWN: {
      title: 'Write outcome unknown',
      meaning:
        'The connection was lost during the COMMIT and the write may or may not be saved; robusto journals it and applies it at most once (202), so this reaches a client only when the journal cannot take it either.',
    },
  },
  messages: {
    // Validation: the problem's detail, and each field's message.
    'validation.invalidFields.one': 'The request has {count} invalid field; see errors[] for each one.',
    'validation.invalidFields.other': 'The request has {count} invalid fields; see errors[] for each one.',
    'validation.tooManyFields': 'The request has {count} invalid fields; errors[] lists the first {max}.',
    'field.required': 'is required',
    'field.notAccepted': 'is not an accepted field; remove it',
    'field.nul': 'contains a NUL character',
    'format.real-date': 'invalid date: use YYYY-MM-DD, for example 2012-03-15',
    'format.date': 'invalid date: use YYYY-MM-DD, for example 2012-03-15',
    'format.date-time': 'invalid date-time: use ISO 8601, for example 2026-03-01T14:30:00Z',
    'format.cpf': 'invalid CPF: check its check digits',
    'format.cnpj': 'invalid CNPJ: check its check digits',
    'format.email': 'invalid email address, for example ana@padaria.com.br',
    'format.uuid': 'invalid id: use a UUID, for example 0b6f3a52-5c8e-4b8e-9a57-3f1f3b1e2c4d',
    'pattern.line': 'must not be blank nor hold line breaks or control characters',
    'pattern.text': 'must not be blank nor hold control characters other than line breaks and tabs',
    'pattern.phone': 'may hold only digits, spaces, +, (, ) and -, for example (11) 98765-4321',
    // HTTP: problems the kernel answers.
    'http.bodyTooLarge': "The request body is over this route's limit ({limit} bytes); send less data per request.",
    'http.unsupportedMediaType': 'Content type "{contentType}" is not accepted; send JSON with Content-Type: application/json.',
    'http.emptyJson': 'The body is empty but Content-Type says JSON; send a JSON document or drop the header.',
    'http.malformedJson': 'The body is not valid JSON; check quotes, commas and braces.',
    'http.databaseUnavailable': 'The database is not answering right now; retry in a few seconds.',
    'http.internal': 'Something went wrong on the server. The log has the details under request id {requestId}.',
    'http.routeNotFound': 'There is no route {method} {path}. The API lives under /api and is described at /docs.',
    'http.shuttingDown': 'This server is shutting down; retry in a few seconds (another instance, or this one restarted, will answer).',
    'http.rateLimited': 'Too many requests to {route} ({max} per minute); wait {seconds} s and try again.',
    'http.overloaded': 'The server is overloaded (its event loop lags {lagMs} ms); retry in a few seconds.',
    'http.routeForbidden': 'Your role "{role}" lacks the "{permission}" permission needed for {method} {route}; ask an admin or owner.',
    'http.commandForbidden': 'Your role "{role}" lacks the "{permission}" permission that {command} needs; ask an admin or owner.',
    'http.nul': 'The request contains a NUL character (\\u0000), which no field accepts; remove it.',
    'http.readsWaitForDatabase': 'The database is not answering; reads wait until it does (writes are still accepted and queued). Retry in a few seconds.',
    'http.databaseNotYetAvailable':
      'The database has not answered since robusto started; reads wait until it does (writes are accepted and queued). Retry in a few seconds.',
    'http.modulePending': 'Module "{module}" is waiting for the database to apply its migrations; retry shortly.',
    'http.moduleFailed':
      'Module "{module}" failed to load ({stage}) and is out of service; the rest of robusto works. An administrator can see why in /health and the log, fix the module and restart.',
    'http.idempotencyKeyInvalid': 'Idempotency-Key must be 1 to 255 visible ASCII characters, e.g. a UUID.',
    'field.idempotencyKey': 'must be 1 to 255 visible ASCII characters',
    'http.tooManyMembers': "The body holds more than {max} fields and items; robusto's requests need far fewer. Send only the documented fields.",
    'field.tooManyMembers': 'has more than {max} fields and items',
    'http.signInFirst': 'Sign in first: send Authorization: Bearer <token> from POST /api/auth/login.',
    'http.badCursor': 'The cursor is not one this list gave out; use the nextCursor of the previous page, or omit it to start over.',
    'field.badCursor': 'is not a valid cursor for this list',
    // Identity.
    'identity.tokenInvalid': 'The token is not valid (or its user was disabled); sign in again with POST /api/auth/login.',
    'identity.tokenExpired': 'The token expired; sign in again with POST /api/auth/login.',
    'identity.installationRoleRequired':
      "{method} {route} is about the whole installation, not your tenant: it needs the installation role. Ask the installation's administrator, who grants it with `{command}` on the server.",
    // Writes and the journal.
    'writes.keyReused':
      'Idempotency-Key "{key}" was already used for a different request. Use a new key for a new request; resend the same body to get the first outcome.',
    'writes.replayForbidden': 'Not applied: the user who sent it ({user}) {why}. It needs the "{permission}" permission.',
    'writes.replayForbidden.userGone': 'no longer exists in this tenant',
    'writes.replayForbidden.deactivated': 'was deactivated after sending it',
    'writes.replayForbidden.tokenRevoked': 'signed out, or had the password changed, after the token that sent it was issued: that token was revoked',
    'writes.replayForbidden.role': 'now has the role "{role}", which lacks that permission',
    'writes.notQueuedAgain': 'Not queued again: {reason} Discard it, or give the user that right back first.',
    'writes.outcomeUnknown.withKey':
      'The database connection was lost while saving; the write may or may not have been saved. Retrying with the same Idempotency-Key is safe: it returns the first outcome if there was one.',
    'writes.outcomeUnknown.withoutKey':
      'The database connection was lost while saving; the write may or may not have been saved. Check before retrying, and send an Idempotency-Key with writes to make retries safe.',
    'writes.versionUnknown': 'This write was accepted by version {version} of {command}; this robusto runs version {current} of it and {why}.',
    'writes.versionUnknown.newer': 'cannot read a newer version: run the robusto that accepted it (or a later one), then retry this dead letter',
    'writes.versionUnknown.noUpcaster': 'has no upcaster from version {from} to {to}',
    'writes.versionUnknown.upcasterFailed': 'its upcaster from version {from} to {to} failed: {error}',
    'writes.route.databaseDown': 'The database is not answering',
    'writes.route.behindQueue':
      'Writes accepted while the database was down still wait in the local journal to be applied, and this one must queue behind them',
    'writes.route.moduleWaiting': "This module's tables wait for their migrations, so its writes go to the local journal",
    'writes.route.sameKey': 'A write with this Idempotency-Key is being queued in the local journal',
    'writes.tenantFull':
      '{route}, and the writes of your organization already waiting in the local journal fill its share of it ({reason}). Nothing was saved; retry once they are applied.',
    'writes.journalUnavailable': '{route}, and the local journal cannot take the write: {reason}. Nothing was saved; retry later.',
    'receipts.notFound': 'No receipt {id}. Receipts are kept until their write is applied and pruned.',
    'system.deadLetterNotFound': 'No dead letter {receipt} in your tenant (it may be queued, applied or discarded already).',
    // auth
    'auth.tooManyFailures': 'Too many failed sign-ins for this account; wait {seconds} s and try again.',
    'auth.tooManyAttempts': 'Too many sign-in attempts from this address; wait {seconds} s and try again.',
    'auth.hashingBusy': 'Too many sign-ins and password changes at once; retry in {seconds} s.',
    'auth.signInNeedsDatabase':
      'Signing in needs the database, which is not answering right now; retry in a few seconds. Tokens issued before keep working until they expire.',
    'auth.tenantSlugTaken': 'A tenant with slug "{slug}" already exists; choose another slug.',
    'auth.userEmailTaken': 'A user with email {email} already exists in this tenant.',
    'auth.ownerCreatesOwner': 'Only an owner can create another owner; choose the admin role or ask an owner.',
    'auth.ownerChangesOwner': 'Only an owner can change an owner or make someone owner.',
    'auth.selfLockout': 'You cannot disable yourself or change your own role; ask another admin or owner.',
    'auth.lastOwner': "This is the tenant's last active owner: make another user owner first, then change this one.",
    'auth.signOutNeedsUser': 'Only a signed-in user can sign out.',
    'auth.invalidCredentials': 'Tenant, email or password is wrong. Check all three and try again.',
    'auth.userNotFound': 'No user with id {id}.',
    'auth.installationRoleCliOnly': 'The installation role is granted and revoked on the server only, with `{command} [--revoke]`.',
    'auth.installationRoleNeedsAdmin':
      '{email} has the role "{role}", which cannot operate the system; make them admin or owner of their tenant first, then grant the installation role.',
    // audit
    'audit.reversedRange': '"from" ({from}) is after "to" ({to}); swap them or widen the window.',
    'audit.field.afterTo': 'must not be after to',
    'audit.unknownInstant': '"{field}" is not an instant this server can read; send an ISO 8601 date-time such as 2026-03-01T00:00:00Z.',
    'audit.field.unknownInstant': 'is not a valid date-time',
    // customers
    'customers.notFound': 'No customer with id {id}.',
    'customers.documentTaken': 'Another customer already has this CPF/CNPJ; search for it instead of creating a duplicate.',
    'customers.versionConflict':
      'The customer changed since you read it (you sent version {sent}, it is now {current}); reload it, reapply your change and send the new version.',
    'customers.personDocument': 'The document must be a valid CPF (11 digits) for a person.',
    'customers.companyDocument': 'The document must be a valid CNPJ (14 digits) for a company.',
    'customers.field.personDocument': 'must be a valid CPF (11 digits)',
    'customers.field.companyDocument': 'must be a valid CNPJ (14 digits)',
    // products
    'products.notFound': 'No product with id {id}.',
    'products.skuTaken': 'Another product already has this SKU; pick another SKU or edit that product instead.',
    'products.versionConflict':
      'The product changed since you read it (you sent version {sent}, it is now {current}); reload it, reapply your change and send the new version.',
    'products.hasStock': 'Product {id} still has {quantity} in stock; use it up, expire or adjust its lots to 0, or deactivate the product instead.',
    'quantity.invalid': '{field} {problem}.',
    'quantity.notANumber': 'must be a number',
    'quantity.zeroOrMore': 'must be 0 or more',
    'quantity.moreThanZero': 'must be more than 0',
    'quantity.atMost': 'must be at most {max}',
    'quantity.decimals': 'must have at most {decimals} decimals',
    // stock
    'stock.lotNotFoundById': 'No stock lot with id {id}.',
    'stock.lotNotFoundByCode': 'No stock lot with code {code}.',
    'stock.lotCodeTaken': 'Another lot already has this code; print a new QR code, or add to that lot with an "in" movement.',
    'stock.lotExpired': 'Lot {code} was expired and written off; it takes no more movements. Discard the goods or receive them as a new lot.',
    'stock.insufficient': 'Lot {code} holds {available}, less than the {requested} requested; take at most {available}, or use another lot.',
    'stock.invalidMovement.one': 'The movement has {count} invalid field; see errors[] for each one.',
    'stock.invalidMovement.other': 'The movement has {count} invalid fields; see errors[] for each one.',
    'stock.field.quantityRequired': 'is required for an "{type}" movement',
    'stock.field.quantityRefused': 'is not accepted for an "{type}" movement',
    'stock.field.quantityRefusedAdjust': 'is not accepted for an "adjust" movement; send countedQuantity',
    'stock.field.countedRequired': 'is required for an "adjust" movement: the quantity counted',
    'stock.field.countedOnlyAdjust': 'is only accepted for an "adjust" movement',
    'stock.field.reasonRequired': 'is required for an "adjust" movement: say why the count differs',
    // students
    'students.notFound': 'No student with id {id}.',
    'students.cpfTaken': 'Another student already has this CPF; search for them instead of registering a duplicate.',
    'students.invalid.one': 'The student has {count} invalid field; see errors[] for each one.',
    'students.invalid.other': 'The student has {count} invalid fields; see errors[] for each one.',
    'students.field.birthDateTooEarly': 'must be {earliest} or later',
    'students.field.birthDateInFuture': 'must not be in the future (today is {today})',
    'students.field.guardianRequired': 'is required: the student is under {age} on the registration date ({registeredOn})',
    // robusto restart: its lines and its report
    'restart.phase.find': 'find',
    'restart.phase.backup': 'backup',
    'restart.phase.journal': 'journal',
    'restart.phase.stop': 'stop',
    'restart.phase.start': 'start',
    'restart.phase.check': 'check',
    'restart.nothing': 'nothing',
    'restart.notTouched': 'the running server was not touched',
    'restart.reportAt': 'report: {path}',
    'restart.holdingInterrupts': 'robusto restart: the server is stopped and being started again; not interrupting',
    'restart.find.notRunning': 'robusto is not running for {dataDir} (no live supervisor in its pid file): start it with "robusto start"',
    'restart.find.serviceManager':
      'the supervisor (pid {pid}) runs under {manager}, which would start another one: restart it with "systemctl restart <its unit>" (it stops gracefully too), after "robusto backup"',
    'restart.find.found': 'supervisor pid {pid}',
    'restart.backup.done': '{dir}, verified ({rows} rows in {tables} tables)',
    'restart.journal.leftWarning': '{left} write(s) still waited in the journal at the stop; they are on disk and the new server applies them',
    'restart.journal.none': 'no write waiting',
    'restart.journal.applied': '{count} waiting write(s) applied by the running server before the stop',
    'restart.journal.stillWait': '{left} write(s) still wait after {seconds} s',
    'restart.stop.changed': 'the supervisor changed while the backup ran (pid {pid}, now {now}); run "robusto restart" again',
    'restart.stop.none': 'none',
    'restart.stop.noExit': 'supervisor pid {pid} did not exit within {ms} ms of SIGTERM; see its log. Stop it (kill {pid}), then run "robusto start"',
    'restart.stop.portTaken': 'port {port} is still taken after the stop: another process listens there',
    'restart.stop.done': 'pid {pid} exited after draining its requests; port {port} free',
    'restart.start.cannotStart': 'cannot start "robusto start": {error}',
    'restart.start.exited': '"robusto start" exited at once ({how}); see {file}',
    'restart.start.exitCode': 'code {code}',
    'restart.start.notReady': 'the new server did not answer {url} within {seconds} s; see {file}',
    'restart.start.done': 'supervisor pid {pid}, ready at {url}',
    'restart.check.fewerRows': '{table}: {atStop} at the stop, {now} now',
    'restart.check.lostRows':
      'tables hold fewer rows than at the stop and nobody has written since the start: {tables}. Compare with the backup {backup} before doing anything else',
    'restart.check.fewerWarning': 'fewer rows than at the stop ({tables}), with writes since the start that may explain it: see the audit log',
    'restart.check.healthFailed': '/health answered {status} after the start',
    'restart.check.done': '{rows}; {api}; /health median {ms} ms',
    'restart.check.noRowLost': 'no table lost a row',
    'restart.check.seeWarning': 'row counts: see the warning',
    'restart.check.noOwner': 'no active owner to run the API check as',
    'restart.check.listFailed': 'listing customers answered {status}',
    'restart.check.listedOnly': 'customers listed through the API (no create/delete check: {waiting} write(s) still wait in the journal)',
    'restart.check.queued':
      'the check\'s customer was queued in the journal (202), not saved: the database is not taking writes; the customer "robusto restart check" appears once it is, and can be deleted then',
    'restart.check.createFailed': 'creating a customer answered {status}: {body}',
    'restart.check.readFailed': 'reading the customer back answered {status}',
    'restart.check.deleteFailed': 'deleting the customer answered {status}',
    'restart.check.apiDone': 'customer created, read and deleted through the API',
    'report.title.success': '# robusto restart — SUCCESS',
    'report.title.failure': '# robusto restart — FAILURE',
    'report.started': '- started: {at}',
    'report.dataDir': '- data directory: {dir}',
    'report.database': '- database: {engine}',
    'report.backup': '- backup: {dir}',
    'report.noBackup': 'none',
    'report.failedAt': '- failed at **{phase}**: {detail}',
    'report.failedAtUntouched': '- failed at **{phase}**: {detail} — the running server was not touched',
    'report.allPassed': '- every phase passed',
    'report.warning': '- warning: {warning}',
    'report.stepsHeader': '| phase | result | time | detail |',
    'report.ok': 'ok',
    'report.failed': 'FAILED',
    'report.rowsHeading': '## Rows per table',
    'report.rowsHeader': '| table | in the backup | at the stop | after the start |',
    'report.latencyHeading': '## Latency after the start',
    // robusto status and reload
    'status.notRunning': 'robusto is not running ({why})',
    'status.lastStatus': 'last status {at}: {state}',
    'status.noStatus': 'no status in {file}',
    'status.running': 'robusto {state}, supervisor pid {pid}, up {uptime} s, at {address} ({engine})',
    'status.workers': '  workers: {ready} ready of {wanted}',
    'status.worker': '    #{id} pid {pid} {state} since {since}',
    'status.restarts': '  restarts: {count}',
    'status.restartsCrashLoop': '  restarts: {count}  (CRASH LOOP: workers keep dying; see the log)',
    'status.reloads': '  reloads:  {count}',
    'status.lastCrash': '  last crash: {at} pid {pid}: {reason}',
    'status.noCrash': '  last crash: none',
    'reload.notRunning': '✗ no running robusto supervisor for {dataDir} (start it with "robusto start")',
    'reload.requested': '✓ rolling reload requested (supervisor pid {pid}); follow it in the log or with "robusto status"',
    // robusto doctor
    'doctor.fixLabel': 'fix',
    'doctor.allPassed': '✓ all checks passed',
    'doctor.someFailed': '✗ some checks failed',
    'doctor.name.node': 'node',
    'doctor.name.package': 'package {name}',
    'doctor.name.dataDir': 'data directory',
    'doctor.name.database': 'database',
    'doctor.name.module': 'module {name}',
    'doctor.name.migrations': 'migrations',
    'doctor.name.config': 'config',
    'doctor.name.runningServer': 'running server',
    'doctor.name.remaining': 'remaining checks',
    'doctor.name.fileModes': 'file modes',
    'doctor.node.ok': 'Node.js {version} (needs {range})',
    'doctor.node.old': 'Node.js {version} is not supported; robusto needs Node.js {minimum} or newer ({recommended} recommended)',
    'doctor.node.fix':
      'install Node.js {recommended} (https://nodejs.org, or your system\'s packages), make it the "node" on your PATH, then run "npm install" again in {root} so the installed packages match it',
    'doctor.package.installed': 'installed',
    'doctor.package.missing': 'not installed (cannot find "{missing}")',
    'doctor.package.broken': 'fails to load: {error}',
    'doctor.package.fix': 'run "npm install" in {root}',
    'doctor.package.fixNative':
      'run "npm install" in {root}; on a platform it has no prebuilt binary for, compile it with "npx node-gyp rebuild --directory node_modules/better-sqlite3" (needs python3, make and g++)',
    'doctor.dataDir.notWritable': '{dir} is not writable: {error}',
    'doctor.dataDir.fix': 'give the user running robusto write access to {dir}, or set DATA_DIR to a writable directory',
    'doctor.dataDir.writable': '{dir} is writable (logs/, backups/, reports/ present)',
    'doctor.dataDir.usable': '{dir} is usable; robusto start creates {missing}',
    'doctor.database.reachable': '{engine} reachable, round trip {ms} ms',
    'doctor.database.unreachable': '{engine} unreachable: {error}',
    'doctor.database.fixPostgres': 'start PostgreSQL or correct DATABASE_URL (now {url}); robusto serve still starts and connects when it answers',
    'doctor.database.fixPooler':
      'DATABASE_URL (now {url}) leads to a connection pooler that refuses the startup parameter {parameter}: add it to ignore_startup_parameters in pgbouncer.ini (docs/production.md, "PgBouncer")',
    'doctor.database.fixSqlite': 'check that {file} is a robusto database and its directory is writable',
    'doctor.database.none': 'no database yet at {file}: robusto start creates it',
    'doctor.database.cannotOpen': 'cannot open: {error}',
    'doctor.database.fixOpen': 'check DATA_DIR and DATABASE_URL',
    'doctor.module.fails': 'fails at {stage}: {error}',
    'doctor.module.fix': 'fix or remove {where} (ROBUSTO_MODULES)',
    'doctor.module.loads': 'loads ({origin})',
    'doctor.migrations.none': '{applied} applied, none pending',
    'doctor.migrations.noDatabase': 'none applied yet: robusto start applies them all when it creates the database',
    'doctor.migrations.pending': '{applied} applied, {count} pending (robusto serve applies them at start; or run "robusto migrate"): {names}',
    'doctor.migrations.unreadable': 'cannot read migration state: {error}',
    'doctor.migrations.fix': 'make the database reachable first',
    'doctor.config.fix': 'set the variable in the environment or in .env',
    'doctor.config.valid': 'valid (engine {engine}, port {port}, data in {dir})',
    'doctor.server.found': 'supervisor pid {pid}; its settings are the ones checked below',
    'doctor.server.fix': 'correct its .env or environment; it keeps running until restarted',
    'doctor.remaining.node': 'skipped until robusto runs on a supported Node.js',
    'doctor.remaining.nodeFix': 'install a supported Node.js (see above), then run robusto doctor again',
    'doctor.remaining.packages': 'skipped until the packages above are installed',
    'doctor.remaining.packagesFix': 'install the packages, then run robusto doctor again',
    'doctor.modes.noDir': '{dir} does not exist yet; robusto creates it readable by its owner only',
    'doctor.modes.private': '{dir} and its databases and keys are readable by their owner only',
    'doctor.modes.loose': 'readable by other users of this machine: {files}; they hold password hashes and personal data',
    'doctor.modes.fix': '{commands} (robusto start and serve also do it)',
    // robusto backup, verify, restore, prune
    'backup.written': '✓ backup written: {dir} ({tables} tables, {rows} rows); check it with: robusto verify {dir}',
    'backup.sound': '✓ backup {dir} is sound: {tables} tables, made {at} from {engine} by robusto {version}',
    'backup.soundAuthenticated': '✓ backup {dir} is sound: {tables} tables, made {at} from {engine} by robusto {version}, manifest authenticated',
    'backup.restored': '✓ restored {rows} rows in {tables} tables from {dir} into {engine}',
    'backup.badKeepDays': '✗ --keep-days "{value}" is not a whole number of days; e.g. --keep-days 30',
    'backup.pruned': '✓ {count} backup(s) older than {days} days deleted',
    // robusto migrate, tenant, user, journal and what every command says on a bad start
    'cli.config.invalid': 'robusto: invalid configuration, not starting',
    'cli.notReady': '✗ the database is not ready (unreachable, or a migration failed); run "robusto doctor" to see why',
    'cli.alreadyRunning':
      '✗ robusto already runs for {dataDir}: see it with "robusto status", stop it (SIGTERM) before starting again, or give this one another DATA_DIR',
    'cli.alreadyRunningPid':
      '✗ robusto already runs for {dataDir} (supervisor pid {pid}): see it with "robusto status", stop it (SIGTERM) before starting again, or give this one another DATA_DIR',
    'migrate.applied': 'applied {at}  {migration}',
    'migrate.pending': 'pending  {migration}',
    'migrate.databaseStopped': '✗ the database stopped answering; run robusto migrate again',
    'migrate.upToDate': '✓ migrations up to date',
    'tenant.badSlug': '✗ slug "{slug}" is not valid: use lower-case letters, digits and -, up to 50 characters (e.g. padaria-central)',
    'tenant.created': '✓ tenant {slug} created (id {id})',
    'user.badRole': '--role "{role}" is not a role; use one of {roles}',
    'user.badEmail': '--email "{email}" is not an email address',
    'user.shortPassword': 'the password must have at least {min} characters',
    'user.shortPasswordNoTerminal': 'the password must have at least {min} characters (no terminal: pass it with --password-stdin)',
    'user.passwordPrompt': 'Password: ',
    'user.noTenantCreate': '✗ no tenant "{tenant}"; create it with: robusto tenant create {tenant} "<name>"',
    'user.noTenant': '✗ no tenant "{tenant}"',
    'user.noUser': '✗ no user {email} in tenant {tenant}',
    'user.created': '✓ user {email} ({role}) created in tenant {tenant} (id {id})',
    'user.granted': '✓ {email} ({role} of {tenant}) holds the installation role{unchanged}',
    'user.revoked': '✓ {email} ({role} of {tenant}) no longer holds the installation role{unchanged}; running servers see it within 5 s',
    'user.unchanged': ' (unchanged)',
    'journal.status.file': 'journal {file}',
    'journal.status.pending': '  pending:      {count}',
    'journal.status.oldest': ' (oldest accepted {at})',
    'journal.status.dead': '  dead letters: {count}',
    'journal.status.deadHint': ' (see: robusto journal dead-letters; retry or discard them on the /admin page or in /api/system/dead-letters)',
    'journal.status.writable': '  writable:     yes (a test write just worked)',
    'journal.status.notWritable': '  writable:     NO ({reason}): {detail}; while the database is down or writes wait in the journal, writes get 503',
    'journal.replay.drained': '✓ journal replayed: {applied} applied, none pending',
    'journal.replay.journalFault': '✗ replay stopped with {pending} pending: the journal cannot be written ({failure})',
    'journal.replay.blocked':
      '✗ replay stopped with {pending} pending: the database is not answering, or a module of a pending write is not loaded (see the log)',
    'journal.replay.busy': '✗ another robusto process is replaying this journal right now; try again in a few seconds',
    'journal.replay.dead': ' ({count} dead letter(s): robusto journal dead-letters)',
    'journal.dead.none': 'no dead letters',
    'journal.dead.tenant': 'tenant {tenant}',
    'journal.dead.payload': '    payload {payload}',
  },
} as const;
