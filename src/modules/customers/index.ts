import { createCustomer, deleteCustomer, updateCustomer } from './customers.commands.js';
import { defineModule } from '../module.js';
import { customersMigrations } from './customers.migrations.js';
import { customersRoutes } from './customers.routes.js';

export { findCustomer } from './customers.queries.js';
export type { Customer } from './customers.schemas.js';

/**
 * The customers module (`/api/customers`): people and companies with a CPF/CNPJ validated by
 * its check digits and unique per tenant, search, keyset pagination, optimistic concurrency.
 */
export default defineModule({
  name: 'customers',
  description: 'People (CPF) and companies (CNPJ) you sell to, unique per tenant by document.',
  commands: [createCustomer, deleteCustomer, updateCustomer],
  migrations: customersMigrations,
  routes: customersRoutes,
});
