/**
 * The core's own tables (see `migrations/core.migrations.ts`) as Kysely sees them: written by
 * the command dispatcher in the same transaction as every business write, read by the audit
 * module and the idempotency checks.
 */
export interface CoreTables {
  idempotency_keys: {
    tenant_id: string;
    key: string;
    fingerprint: string;
    command: string;
    status_code: number;
    response: string;
    created_at: string;
    expires_at: string;
  };
  audit_log: {
    id: string;
    tenant_id: string;
    user_id: string | null;
    action: string;
    entity: string;
    entity_id: string;
    request_id: string;
    created_at: string;
  };
}
